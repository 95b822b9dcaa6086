// The generated Kotlin imports kotlinx.coroutines.DelicateCoroutinesApi (an opt-in marker,
// added in kotlinx-coroutines 1.5). Debian ships kotlinx-coroutines 1.0.1, which has every
// class the generated code calls (GlobalScope, launch, suspendCancellableCoroutine) but not
// this annotation; declaring it here is the whole workaround. Leave this file out when
// compiling against kotlinx-coroutines 1.5 or newer.
package kotlinx.coroutines

/** Stand-in for the opt-in marker of kotlinx-coroutines 1.5+ (see the file comment). */
@Retention(AnnotationRetention.BINARY)
annotation class DelicateCoroutinesApi
