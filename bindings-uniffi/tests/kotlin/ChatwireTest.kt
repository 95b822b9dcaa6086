// Kotlin tests of the UniFFI binding against `chatwire sim` (no test framework on these
// machines: a main that runs each check and prints a summary; exit status 1 on a failure).
// Suspend calls run on Dispatchers.Default and on Dispatchers.Unconfined, which resumes the
// caller inline on the thread that settled the call (the host's loop, inside a core input):
// that must neither deadlock nor reorder.
import chatwire.Core
import chatwire.Host
import chatwire.incomingText
import java.io.BufferedReader
import java.io.InputStreamReader
import kotlin.system.exitProcess
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import uniffi.chatwire_ffi.ChatwireException
import uniffi.chatwire_ffi.ClientOptions
import uniffi.chatwire_ffi.Event
import uniffi.chatwire_ffi.Reply
import uniffi.chatwire_ffi.TalkClient
import uniffi.chatwire_ffi.TrueConfClient

// A 1 s tada ping: the JDK 17 WebSocket never reports an end of stream read together with the
// last frame (seen here when the simulator drops a socket right after writing to it), so on
// the JVM an unanswered ping is what finds that drop; the default 30 s would outlast `next`.
val FAST = ClientOptions(backoffBaseMs = 50UL, backoffMaxMs = 300UL, pingIntervalMs = 1000UL)

class Sim : AutoCloseable {
    private val process: Process = ProcessBuilder(
        System.getenv("CHATWIRE_BIN") ?: error("CHATWIRE_BIN must name the chatwire binary"),
        "sim", "--protocol", "all", "--listen", "127.0.0.1:0", "--talk-poll-cap-secs", "1",
    ).redirectError(ProcessBuilder.Redirect.DISCARD).start()
    val url: String

    init {
        val line = BufferedReader(InputStreamReader(process.inputStream)).readLine()
        url = Regex("\"listening\":\"([^\"]+)\"").find(line)!!.groupValues[1]
    }

    /** POST /admin/inject with `json` (a fault, or {"disconnect_all":true}). */
    fun inject(json: String) {
        val request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("$url/admin/inject"))
            .header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build()
        java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
    }

    override fun close() {
        process.destroy()
        process.waitFor()
    }
}

fun open(sim: Sim, protocol: String, user: String): Host = when (protocol) {
    "trueconf" -> Host.trueconf(sim.url, user, "$user-pass", FAST)
    "tada" -> Host.tada(sim.url, "team-sim", "$user-token", FAST)
    else -> Host.talk(sim.url, user, "$user-app-pass", listOf("room-ab"), FAST)
}

// 30 s, not 10: a reconnect after a drop waits out a jittered backoff, and CI machines are shared.
suspend fun Host.next(pred: (Event) -> Boolean): Event = withTimeout(30_000) {
    var found: Event? = null
    while (found == null) {
        val e = events.receive()
        if (pred(e)) found = e
    }
    found!!
}

/** The next `count` texts from others, in arrival order. */
suspend fun Host.texts(count: Int): List<String> {
    val got = mutableListOf<String>()
    while (got.size < count) {
        val e = next { incomingText(it) != null }
        got.add(incomingText(e)!!)
    }
    return got
}

suspend fun chatFor(protocol: String, alice: Host): String = when (protocol) {
    "trueconf" -> {
        val client = (alice.core as Core.TrueConf).client
        (alice.request { now -> client.createP2pChat(now, "bob@sim.local") } as Reply.ChatId).chatId
    }
    "tada" -> "g-5eed0000-0000-4000-8000-000000000001"
    else -> "room-ab"
}

fun check(cond: Boolean, what: () -> String) {
    if (!cond) throw AssertionError(what())
}

/** Alice writes on `aliceOn`, bob answers on `bobOn`; each side gets exactly the other's texts. */
fun exchange(protocol: String, aliceOn: CoroutineDispatcher, bobOn: CoroutineDispatcher) = Sim().use { sim ->
    val alice = open(sim, protocol, "alice")
    val bob = open(sim, protocol, "bob")
    try {
        runBlocking {
            if (protocol != "talk") {
                alice.next { it is Event.Connected }
                bob.next { it is Event.Connected }
            }
            val chat = withContext(aliceOn) { chatFor(protocol, alice) }
            val ids = withContext(aliceOn) {
                // Several calls in flight at once, each resumed where its dispatcher says.
                (1..5).map { n -> async { alice.sendMessage(chat, "a$n") } }.map { it.await() }
            }
            check(ids.toSet().size == 5) { "five distinct message ids, got $ids" }
            val got = bob.texts(5).sorted()
            check(got == (1..5).map { "a$it" }) { "bob got $got" }
            withContext(bobOn) { bob.sendMessage(chat, "b1") }
            val back = alice.texts(1)
            check(back == listOf("b1")) { "alice got $back" }
        }
    } finally {
        alice.close()
        bob.close()
    }
}

/** The WebSockets drop under both clients: they reconnect, and what alice sends while coming
 *  back reaches bob once. */
fun reconnectAfterDrop(protocol: String) = Sim().use { sim ->
    val alice = open(sim, protocol, "alice")
    val bob = open(sim, protocol, "bob")
    try {
        runBlocking(Dispatchers.Default) {
            alice.next { it is Event.Connected }
            bob.next { it is Event.Connected }
            val chat = chatFor(protocol, alice)
            alice.sendMessage(chat, "r1")
            check(bob.texts(1) == listOf("r1")) { "before the drop" }
            sim.inject("{\"disconnect_all\":true}")
            alice.next { it is Event.Disconnected }
            bob.next { it is Event.Connected }
            for (n in 2..4) alice.sendMessage(chat, "r$n")
            val got = bob.texts(3)
            check(got == listOf("r2", "r3", "r4")) { "after the drop bob got $got" }
        }
    } finally {
        alice.close()
        bob.close()
    }
}

/** A tada socket that stays open but goes mute (a dead NAT mapping): the core's unanswered ping
 *  closes it, the host reports that close back, and the client reconnects by itself. */
fun silentConnectionReplaced() = Sim().use { sim ->
    val alice = open(sim, "tada", "alice")
    val bob = open(sim, "tada", "bob")
    try {
        runBlocking(Dispatchers.Default) {
            alice.next { it is Event.Connected }
            bob.next { it is Event.Connected }
            sim.inject("{\"silence_all\":true}")
            val dead = alice.next { it is Event.ConnectionDead } as Event.ConnectionDead
            check(dead.reason.contains("client.ping")) { dead.reason }
            alice.next { it is Event.Connected }
            bob.next { it is Event.Connected }
            alice.sendMessage("g-5eed0000-0000-4000-8000-000000000001", "after the silence")
            val got = bob.texts(1)
            check(got == listOf("after the silence")) { "bob got $got" }
        }
    } finally {
        alice.close()
        bob.close()
    }
}

fun closeSettlesPending() = Sim().use { sim ->
    val alice = open(sim, "trueconf", "alice")
    runBlocking(Dispatchers.Unconfined) {
        alice.next { it is Event.Connected }
        val client = (alice.core as Core.TrueConf).client
        // Taken but never performed: the host closes (shuts down) with the request in flight.
        val issued = client.createGroupChat(chatwire.nowMs(), "never sent")
        alice.close()
        try {
            issued.call.wait()
            throw AssertionError("the call should have failed")
        } catch (e: ChatwireException.Closed) {
        }
    }
}

fun badInputRaises() {
    try {
        TrueConfClient.restore("jwt", "{not json")
        throw AssertionError("restore of a bad snapshot should throw")
    } catch (e: ChatwireException.InvalidArgument) {
        check(e.reason.contains("snapshot")) { e.reason }
    }
    TalkClient("alice", "pw").use { talk ->
        talk.shutdown(0UL)
        try {
            talk.joinRoom(1UL, "room-ab")
            throw AssertionError("join after shutdown should throw")
        } catch (e: ChatwireException.Closed) {
        }
    }
}

fun main() {
    val checks = mutableListOf<Pair<String, () -> Unit>>()
    for (p in listOf("trueconf", "tada", "talk")) {
        checks.add("$p exchange, Default/Unconfined" to { exchange(p, Dispatchers.Default, Dispatchers.Unconfined) })
        checks.add("$p exchange, Unconfined/Default" to { exchange(p, Dispatchers.Unconfined, Dispatchers.Default) })
    }
    for (p in listOf("trueconf", "tada")) checks.add("$p reconnect after a drop" to { reconnectAfterDrop(p) })
    checks.add("tada silent connection found dead and replaced" to ::silentConnectionReplaced)
    checks.add("close settles pending calls" to ::closeSettlesPending)
    checks.add("bad input raises" to ::badInputRaises)
    var failed = 0
    for ((name, run) in checks) {
        val t0 = System.nanoTime()
        try {
            run()
            println("ok   $name (${(System.nanoTime() - t0) / 1_000_000} ms)")
        } catch (e: Throwable) {
            failed++
            println("FAIL $name: $e")
            e.printStackTrace()
        }
    }
    println("kotlin tests: ${checks.size - failed} passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
