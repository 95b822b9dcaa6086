// Smoke check for the Kotlin tool chain (run by `scripts/setup-kotlin.sh --check`): the
// npm kotlin-compiler's kotlinc compiles this against Debian's JNA and kotlinx-coroutines
// jars, and it runs on the JVM with -Djna.library.path, the way UniFFI's generated Kotlin
// loads the binding's .so. Prints one line; exits non-zero with the reason on failure.
//
// The library is loaded by name through jna.library.path (the script points it at a
// folder holding libchatwiresmoke.so, a link to libc), not by JNA's built-in "c"
// shortcut, so that the lookup UniFFI relies on is what gets tested.

import com.sun.jna.Library
import com.sun.jna.Native
import kotlin.coroutines.resume
import kotlin.system.exitProcess
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.withContext

/** The one libc function the check calls. */
interface SmokeLib : Library {
    /** The calling process's id. */
    fun getpid(): Int
}

/** Suspends until another thread calls back, as UniFFI's async calls do. */
suspend fun pidFromAnotherThread(lib: SmokeLib): Int = suspendCancellableCoroutine { cont ->
    Thread { cont.resume(lib.getpid()) }.start()
}

fun main() {
    val lib = Native.load("chatwiresmoke", SmokeLib::class.java)
    val expected = ProcessHandle.current().pid().toInt()
    val pids = runBlocking {
        listOf(
            withContext(Dispatchers.Default) { lib.getpid() },
            // Unconfined resumes inline on the calling thread: must not deadlock.
            withContext(Dispatchers.Unconfined) { pidFromAnotherThread(lib) },
            pidFromAnotherThread(lib),
        )
    }
    if (pids.any { it != expected }) {
        System.err.println("kotlin smoke: FAILED: getpid() through JNA gave $pids, the JVM says $expected")
        exitProcess(1)
    }
    println(
        "kotlin smoke: ok (getpid=$expected through JNA ${Native.VERSION} from jna.library.path, " +
            "on Dispatchers.Default/Unconfined and a callback thread; Kotlin ${KotlinVersion.CURRENT}, " +
            "Java ${System.getProperty("java.version")})",
    )
}
