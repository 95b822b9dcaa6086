// A JVM host for the chatwire UniFFI clients: owns the WebSocket (java.net.http, JDK 11+),
// the HTTP client (Talk) and the one timer, and feeds the pull-mode core. All core inputs run
// on one thread (`loop`), so outputs are performed in the order the core produced them.
//
// The JDK 17 WebSocket can lose a close: an end of stream read together with the last frame is
// never reported (no onClose, no onError; later sends still "succeed"). A failed send is
// taken as the drop it is, and for tada the core's ping deadline finds the rest
// (`ClientOptions.pingIntervalMs`); TrueConf judges a connection dead when a request goes
// unanswered for its whole timeout.
//
// The core holds nothing of ours (no callback interfaces): this host refers to the core,
// never the other way round, so the JVM's GC sees every reference. `close()` shuts the core
// down (every pending call fails with ChatwireException.Closed) and frees it.
package chatwire

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.net.http.WebSocket
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionStage
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.withContext
import uniffi.chatwire_ffi.ClientOptions
import uniffi.chatwire_ffi.Command
import uniffi.chatwire_ffi.Content
import uniffi.chatwire_ffi.Event
import uniffi.chatwire_ffi.Header
import uniffi.chatwire_ffi.Output
import uniffi.chatwire_ffi.Reply
import uniffi.chatwire_ffi.TadaClient
import uniffi.chatwire_ffi.TalkClient
import uniffi.chatwire_ffi.Transmit
import uniffi.chatwire_ffi.TrueConfClient
import uniffi.chatwire_ffi.trueconfOauthBody
import uniffi.chatwire_ffi.trueconfParseOauth

/** The host clock the core runs on: monotonic milliseconds. */
fun nowMs(): ULong = (System.nanoTime() / 1_000_000L).toULong()

/** The text of a received text message from someone else, or null. */
fun incomingText(event: Event): String? {
    if (event !is Event.MessageReceived || event.message.own) return null
    val content = event.message.content
    return if (content is Content.Text) content.text else null
}

/** The three generated client classes behind one face (they share no interface). */
sealed class Core {
    /** TrueConf. */
    class TrueConf(val client: TrueConfClient) : Core()
    /** tada.team. */
    class Tada(val client: TadaClient) : Core()
    /** Nextcloud Talk. */
    class Talk(val client: TalkClient) : Core()

    fun connect(t: ULong): Output = when (this) {
        is TrueConf -> client.connect(t); is Tada -> client.connect(t); is Talk -> client.connect(t)
    }
    fun shutdown(t: ULong): Output = when (this) {
        is TrueConf -> client.shutdown(t); is Tada -> client.shutdown(t); is Talk -> client.shutdown(t)
    }
    fun handleConnected(t: ULong): Output = when (this) {
        is TrueConf -> client.handleConnected(t); is Tada -> client.handleConnected(t); is Talk -> client.handleConnected(t)
    }
    fun handleFrame(t: ULong, f: String): Output = when (this) {
        is TrueConf -> client.handleFrame(t, f); is Tada -> client.handleFrame(t, f); is Talk -> client.handleFrame(t, f)
    }
    fun handleClosed(t: ULong, r: String): Output = when (this) {
        is TrueConf -> client.handleClosed(t, r); is Tada -> client.handleClosed(t, r); is Talk -> client.handleClosed(t, r)
    }
    fun handleConnectFailed(t: ULong, r: String): Output = when (this) {
        is TrueConf -> client.handleConnectFailed(t, r, false)
        is Tada -> client.handleConnectFailed(t, r, false)
        is Talk -> client.handleConnectFailed(t, r, false)
    }
    fun handleTimeout(t: ULong): Output = when (this) {
        is TrueConf -> client.handleTimeout(t); is Tada -> client.handleTimeout(t); is Talk -> client.handleTimeout(t)
    }
    fun handleHttpResponse(t: ULong, id: UInt, status: UShort, headers: List<Header>, body: String): Output = when (this) {
        is TrueConf -> client.handleHttpResponse(t, id, status, headers, body)
        is Tada -> client.handleHttpResponse(t, id, status, headers, body)
        is Talk -> client.handleHttpResponse(t, id, status, headers, body)
    }
    fun sendMessage(t: ULong, chat: String, text: String): Command = when (this) {
        is TrueConf -> client.sendMessage(t, chat, text, null)
        is Tada -> client.sendMessage(t, chat, text)
        is Talk -> client.sendMessage(t, chat, text, null, false)
    }
    fun destroy() = when (this) {
        is TrueConf -> client.close(); is Tada -> client.close(); is Talk -> client.close()
    }
}

/** One chat connection: `events` to receive, `sendMessage` to write, `close()` to end. */
class Host private constructor(val core: Core, server: String) : AutoCloseable {
    private val base = server.trimEnd('/')
    private val wsBase = when {
        base.startsWith("https://") -> "wss://" + base.removePrefix("https://")
        base.startsWith("http://") -> "ws://" + base.removePrefix("http://")
        else -> throw IllegalArgumentException("server must be an http(s):// URL: $server")
    }
    @Volatile private var loopThread: Thread? = null
    private val loop = Executors.newSingleThreadScheduledExecutor { r ->
        Thread(r, "chatwire-host").apply { isDaemon = true; loopThread = this }
    }
    private val dispatcher = loop.asCoroutineDispatcher()
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
    private var generation = 0
    private var socket: WebSocket? = null
    private var sendChain: CompletableFuture<*> = CompletableFuture.completedFuture(null)
    private var timer: ScheduledFuture<*>? = null
    @Volatile private var closed = false

    /** Every event, in order; closed by `close()`. */
    val events = Channel<Event>(Channel.UNLIMITED)

    companion object {
        /** A TrueConf bot: a JWT from the server's OAuth endpoint for `user`/`password`. */
        fun trueconf(server: String, user: String, password: String, options: ClientOptions? = null): Host {
            val client = HttpClient.newHttpClient()
            val request = HttpRequest.newBuilder(URI.create(server.trimEnd('/') + "/bridge/api/client/v1/oauth/token"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(trueconfOauthBody(user, password))).build()
            val token = trueconfParseOauth(client.send(request, HttpResponse.BodyHandlers.ofString()).body())
            return trueconfToken(server, token, options)
        }

        /** A TrueConf bot with a token (JWT) already in hand. */
        fun trueconfToken(server: String, token: String, options: ClientOptions? = null): Host =
            start(Core.TrueConf(TrueConfClient(token, options)), server)

        /** A tada.team client of `team`. */
        fun tada(server: String, team: String, token: String, options: ClientOptions? = null): Host =
            start(Core.Tada(TadaClient(team, token, options)), server)

        /** A Talk client receiving `rooms`. */
        fun talk(server: String, user: String, password: String, rooms: List<String>, options: ClientOptions? = null): Host {
            val client = TalkClient(user, password, options)
            val host = start(Core.Talk(client), server)
            host.onLoop { rooms.forEach { host.apply(client.joinRoom(nowMs(), it)) } }
            return host
        }

        private fun start(core: Core, server: String): Host {
            val host = Host(core, server)
            host.onLoop { host.apply(core.connect(nowMs())) }
            return host
        }
    }

    /** Sends `text` to `chat`; the new message's id once the server accepted it. Suspends on
     *  the caller's dispatcher (any: Default, Unconfined, a UI thread). */
    suspend fun sendMessage(chat: String, text: String): String {
        val command = withContext(dispatcher) {
            val c = core.sendMessage(nowMs(), chat, text)
            apply(c.output)
            c
        }
        val reply = command.call.wait()
        return (reply as? Reply.MessageSent)?.messageId
            ?: throw IllegalStateException("expected a sent message, got $reply")
    }

    /** Issues `command(now)` on the loop thread (a core command such as
     *  `client.createP2pChat(now, user)`), performs its output and awaits the answer. */
    suspend fun request(command: (ULong) -> Command): Reply {
        val issued = withContext(dispatcher) {
            val c = command(nowMs())
            apply(c.output)
            c
        }
        return issued.call.wait()
    }

    /** Ends the connection: pending calls fail with Closed, the socket closes, `events` ends. */
    override fun close() {
        // Code resumed inline (Dispatchers.Unconfined) may already run on the loop thread:
        // then close right here instead of waiting for the loop we are blocking.
        if (Thread.currentThread() === loopThread) {
            shutdownOnLoop()
        } else {
            val done = CompletableFuture<Unit>()
            onLoop {
                try {
                    shutdownOnLoop()
                } finally {
                    done.complete(Unit)
                }
            }
            done.get(10, TimeUnit.SECONDS)
        }
        loop.shutdown()
    }

    private fun shutdownOnLoop() {
        if (closed) return
        apply(core.shutdown(nowMs()))
        closed = true
        generation++
        timer?.cancel(false)
        socket?.abort()
        socket = null
        events.close()
        core.destroy()
    }

    private fun onLoop(block: () -> Unit) {
        loop.execute {
            try {
                block()
            } catch (e: Exception) {
                System.err.println("chatwire host: ${e}")
            }
        }
    }

    /** Performs one output: transmits in order, events, then the one timer. Loop thread only. */
    private fun apply(out: Output) {
        if (closed) return
        // The core's own close (a connection it judged dead) is reported back once this output
        // is performed: the core reconnects only after it hears the socket is gone.
        var closedByCore: String? = null
        for (t in out.transmits) {
            when (t) {
                is Transmit.Frame -> socket?.let { ws -> send(ws, t.text) }
                is Transmit.Http -> perform(t)
                is Transmit.Connect -> open(t)
                is Transmit.Close -> {
                    dropSocket()
                    closedByCore = t.reason
                }
            }
        }
        for (e in out.events) events.offer(e)
        timer?.cancel(false)
        timer = out.timeoutMs?.let { at ->
            val delay = maxOf(0L, at.toLong() - nowMs().toLong())
            loop.schedule({ if (!closed) apply(core.handleTimeout(nowMs())) }, delay, TimeUnit.MILLISECONDS)
        }
        closedByCore?.let { apply(core.handleClosed(nowMs(), it)) }
    }

    /** Queues `text` behind the frames before it. A failed send means the connection is gone,
     *  whether or not the listener hears of it. */
    private fun send(ws: WebSocket, text: String) {
        val gen = generation
        sendChain = sendChain.thenCompose { ws.sendText(text, true) }.whenComplete { _, error ->
            if (error != null) lost(gen, "send failed: ${error.cause ?: error}")
        }
    }

    private fun dropSocket() {
        generation++
        socket?.abort()
        socket = null
        sendChain = CompletableFuture.completedFuture(null)
    }

    private fun open(t: Transmit.Connect) {
        dropSocket()
        val gen = generation
        val builder = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
        for (h in t.headers) builder.header(h.name, h.value)
        if (t.subprotocols.isNotEmpty()) builder.subprotocols(t.subprotocols[0], *t.subprotocols.drop(1).toTypedArray())
        val listener = object : WebSocket.Listener {
            private val partial = StringBuilder()
            override fun onOpen(ws: WebSocket) {
                onLoop {
                    if (gen == generation) {
                        socket = ws
                        apply(core.handleConnected(nowMs()))
                    } else ws.abort()
                }
                ws.request(1)
            }
            override fun onText(ws: WebSocket, data: CharSequence, last: Boolean): CompletionStage<*>? {
                partial.append(data)
                if (last) {
                    val frame = partial.toString()
                    partial.setLength(0)
                    onLoop { if (gen == generation) apply(core.handleFrame(nowMs(), frame)) }
                }
                ws.request(1)
                return null
            }
            override fun onClose(ws: WebSocket, status: Int, reason: String): CompletionStage<*>? {
                lost(gen, "closed with code $status $reason")
                return null
            }
            override fun onError(ws: WebSocket, error: Throwable) = lost(gen, "error: $error")
        }
        try {
            builder.buildAsync(URI.create(wsBase + t.path), listener).whenComplete { _, error ->
                if (error != null) onLoop { if (gen == generation) apply(core.handleConnectFailed(nowMs(), error.toString())) }
            }
        } catch (e: IllegalArgumentException) {
            // A header the JDK refuses to send: retrying cannot help, but the core decides.
            apply(core.handleConnectFailed(nowMs(), e.toString()))
        }
    }

    private fun lost(gen: Int, reason: String) = onLoop {
        if (gen == generation) {
            socket = null
            generation++
            apply(core.handleClosed(nowMs(), reason))
        }
    }

    private fun perform(t: Transmit.Http) {
        val response: CompletableFuture<HttpResponse<String>> = try {
            val builder = HttpRequest.newBuilder(URI.create(base + t.path))
            for (h in t.headers) builder.header(h.name, h.value)
            val body = t.body?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody()
            http.sendAsync(builder.method(t.method, body).build(), HttpResponse.BodyHandlers.ofString())
        } catch (e: IllegalArgumentException) {
            CompletableFuture<HttpResponse<String>>().also { it.completeExceptionally(e) }
        }
        response.whenComplete { r, error ->
            onLoop {
                if (closed) return@onLoop
                val out = if (r != null) {
                    val headers = r.headers().map().flatMap { (name, values) -> values.map { Header(name, it) } }
                    core.handleHttpResponse(nowMs(), t.id, r.statusCode().toUShort(), headers, r.body() ?: "")
                } else {
                    core.handleHttpResponse(nowMs(), t.id, 0.toUShort(), emptyList(), error.toString())
                }
                apply(out)
            }
        }
    }
}
