// Echo bot: answers every text message from someone else with `echo: <text>`, once.
// Same flags as examples/python/echo_bot.py; run it with examples/kotlin/echo-bot.sh.
import chatwire.Host
import chatwire.incomingText
import kotlinx.coroutines.runBlocking
import uniffi.chatwire_ffi.Event

fun main(args: Array<String>) {
    val flags = mutableMapOf<String, MutableList<String>>()
    var i = 0
    while (i + 1 < args.size && args[i].startsWith("--")) {
        flags.getOrPut(args[i].removePrefix("--")) { mutableListOf() }.add(args[i + 1])
        i += 2
    }
    fun flag(name: String) = flags[name]?.firstOrNull() ?: error("missing --$name")
    val server = flag("server")
    val host = when (flag("protocol")) {
        "trueconf" -> flags["token"]?.firstOrNull()?.let { Host.trueconfToken(server, it) }
            ?: Host.trueconf(server, flag("user"), flag("password"))
        "tada" -> Host.tada(server, flag("team"), flag("token"))
        "talk" -> Host.talk(server, flag("user"), flag("password"), flags["room"] ?: emptyList())
        else -> error("--protocol trueconf|tada|talk")
    }
    host.use {
        println("echo bot running")
        runBlocking {
            for (event in host.events) {
                val text = incomingText(event) ?: continue
                host.sendMessage((event as Event.MessageReceived).message.chatId ?: continue, "echo: $text")
            }
        }
    }
}
