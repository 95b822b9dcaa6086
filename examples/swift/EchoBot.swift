// Echo bot in Swift: answers every text message from someone else with `echo: <text>`, once.
// Same flags as examples/python/echo_bot.py:
//   swift run EchoBot --protocol tada --server https://tada.example --team T --token K
// (from bindings-uniffi/swift, after `cargo build --release -p chatwire-ffi`).
//
// Not compiled on the project's machines: no Swift tool chain exists there (see the package
// README). The host below owns the WebSocket (URLSessionWebSocketTask), the HTTP requests
// (URLSession) and the one timer, and feeds the pull-mode core; the core holds nothing of
// the host's, and the socket delegate refers to the host weakly, so nothing forms a cycle.
import Chatwire
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The host clock the core runs on: monotonic milliseconds.
func nowMs() -> UInt64 { DispatchTime.now().uptimeNanoseconds / 1_000_000 }

/// The three generated clients behind one face.
enum Core {
    case trueconf(TrueConfClient)
    case tada(TadaClient)
    case talk(TalkClient)

    func connect(_ t: UInt64) -> Output {
        switch self {
        case .trueconf(let c): return c.connect(nowMs: t)
        case .tada(let c): return c.connect(nowMs: t)
        case .talk(let c): return c.connect(nowMs: t)
        }
    }
    func connected(_ t: UInt64) -> Output {
        switch self {
        case .trueconf(let c): return c.handleConnected(nowMs: t)
        case .tada(let c): return c.handleConnected(nowMs: t)
        case .talk(let c): return c.handleConnected(nowMs: t)
        }
    }
    func frame(_ t: UInt64, _ text: String) -> Output {
        switch self {
        case .trueconf(let c): return c.handleFrame(nowMs: t, frame: text)
        case .tada(let c): return c.handleFrame(nowMs: t, frame: text)
        case .talk(let c): return c.handleFrame(nowMs: t, frame: text)
        }
    }
    func closed(_ t: UInt64, _ reason: String) -> Output {
        switch self {
        case .trueconf(let c): return c.handleClosed(nowMs: t, reason: reason)
        case .tada(let c): return c.handleClosed(nowMs: t, reason: reason)
        case .talk(let c): return c.handleClosed(nowMs: t, reason: reason)
        }
    }
    func timeout(_ t: UInt64) -> Output {
        switch self {
        case .trueconf(let c): return c.handleTimeout(nowMs: t)
        case .tada(let c): return c.handleTimeout(nowMs: t)
        case .talk(let c): return c.handleTimeout(nowMs: t)
        }
    }
    func http(_ t: UInt64, _ id: UInt32, _ status: UInt16, _ headers: [Header], _ body: String) -> Output {
        switch self {
        case .trueconf(let c): return c.handleHttpResponse(nowMs: t, id: id, status: status, headers: headers, body: body)
        case .tada(let c): return c.handleHttpResponse(nowMs: t, id: id, status: status, headers: headers, body: body)
        case .talk(let c): return c.handleHttpResponse(nowMs: t, id: id, status: status, headers: headers, body: body)
        }
    }
    func send(_ t: UInt64, _ chat: String, _ text: String) -> Command {
        switch self {
        case .trueconf(let c): return c.sendMessage(nowMs: t, chatId: chat, text: text, replyTo: nil)
        case .tada(let c): return c.sendMessage(nowMs: t, jid: chat, text: text)
        case .talk(let c): return c.sendMessage(nowMs: t, room: chat, text: text, replyTo: nil, silent: false)
        }
    }
}

/// Reports the socket's open and close to the host it refers to weakly.
final class SocketDelegate: NSObject, URLSessionWebSocketDelegate {
    weak var host: Host?
    let generation: Int
    init(host: Host, generation: Int) { self.host = host; self.generation = generation }

    func urlSession(_ session: URLSession, webSocketTask: URLSessionWebSocketTask, didOpenWithProtocol protocol: String?) {
        let (host, gen) = (self.host, generation)
        Task { await host?.opened(gen, webSocketTask) }
    }
    func urlSession(_ session: URLSession, webSocketTask: URLSessionWebSocketTask,
                    didCloseWith closeCode: URLSessionWebSocketTask.CloseCode, reason: Data?) {
        let (host, gen) = (self.host, generation)
        Task { await host?.lost(gen, "closed with code \(closeCode.rawValue)") }
    }
}

/// One chat connection on Swift concurrency: inputs go through this actor, in order.
actor Host {
    let core: Core
    let base: String
    var generation = 0
    var socket: URLSessionWebSocketTask?
    var session: URLSession?
    var timer: Task<Void, Never>?
    let onMessage: (Host, Message) async -> Void

    init(core: Core, server: String, onMessage: @escaping (Host, Message) async -> Void) {
        self.core = core
        self.base = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.onMessage = onMessage
    }

    func start(rooms: [String]) async throws {
        await apply(core.connect(nowMs()))
        if case .talk(let c) = core {
            for room in rooms { await apply(try c.joinRoom(nowMs: nowMs(), room: room)) }
        }
    }

    /// Sends `text` to `chat`; the new message's id once the server accepted it.
    func send(_ chat: String, _ text: String) async throws -> String? {
        let command = core.send(nowMs(), chat, text)
        await apply(command.output)
        if case .messageSent(_, let messageId, _) = try await command.call.wait() { return messageId }
        return nil
    }

    func apply(_ out: Output) async {
        // The core's own close (a connection it judged dead) is reported back once this output
        // is performed: the core reconnects only after it hears the socket is gone.
        var closedByCore: String?
        for t in out.transmits {
            switch t {
            case .connect(let path, let headers, let subprotocols, _): open(path, headers, subprotocols)
            case .frame(let text): socket?.send(.string(text)) { _ in }
            case .http(let id, let method, let path, let headers, let body): perform(id, method, path, headers, body)
            case .close(let reason):
                drop()
                closedByCore = reason
            }
        }
        for event in out.events {
            if case .messageReceived(let message) = event { await onMessage(self, message) }
        }
        timer?.cancel()
        timer = nil
        if let at = out.timeoutMs {
            let delay = at > nowMs() ? at - nowMs() : 0
            timer = Task { [weak self] in
                try? await Task.sleep(nanoseconds: delay * 1_000_000)
                guard !Task.isCancelled, let self else { return }
                await self.fire()
            }
        }
        if let reason = closedByCore { await apply(core.closed(nowMs(), reason)) }
    }

    func fire() async { await apply(core.timeout(nowMs())) }

    func drop() {
        generation += 1
        socket?.cancel(with: .goingAway, reason: nil)
        socket = nil
        session?.invalidateAndCancel()
        session = nil
    }

    func open(_ path: String, _ headers: [Header], _ subprotocols: [String]) {
        drop()
        let ws = base.replacingOccurrences(of: "http", with: "ws", options: .anchored)
        guard let url = URL(string: ws + path) else { return }
        var request = URLRequest(url: url)
        for h in headers { request.setValue(h.value, forHTTPHeaderField: h.name) }
        if !subprotocols.isEmpty {
            request.setValue(subprotocols.joined(separator: ", "), forHTTPHeaderField: "Sec-WebSocket-Protocol")
        }
        let session = URLSession(configuration: .default, delegate: SocketDelegate(host: self, generation: generation), delegateQueue: nil)
        let task = session.webSocketTask(with: request)
        self.session = session
        task.resume()
    }

    func opened(_ gen: Int, _ task: URLSessionWebSocketTask) async {
        guard gen == generation else { return }
        socket = task
        await apply(core.connected(nowMs()))
        receive(gen, task)
    }

    nonisolated func receive(_ gen: Int, _ task: URLSessionWebSocketTask) {
        task.receive { [weak self] result in
            guard let self else { return }
            Task {
                switch result {
                case .success(.string(let text)): await self.received(gen, task, text)
                case .success(.data(let data)): await self.received(gen, task, String(decoding: data, as: UTF8.self))
                case .failure(let error): await self.lost(gen, "\(error)")
                @unknown default: await self.lost(gen, "unknown message")
                }
            }
        }
    }

    func received(_ gen: Int, _ task: URLSessionWebSocketTask, _ text: String) async {
        guard gen == generation else { return }
        await apply(core.frame(nowMs(), text))
        receive(gen, task)
    }

    func lost(_ gen: Int, _ reason: String) async {
        guard gen == generation else { return }
        drop()
        await apply(core.closed(nowMs(), reason))
    }

    func perform(_ id: UInt32, _ method: String, _ path: String, _ headers: [Header], _ body: String?) {
        guard let url = URL(string: base + path) else { return }
        var request = URLRequest(url: url)
        request.httpMethod = method
        for h in headers { request.setValue(h.value, forHTTPHeaderField: h.name) }
        request.httpBody = body?.data(using: .utf8)
        request.timeoutInterval = 120
        Task { [weak self] in
            var status: UInt16 = 0, responseHeaders: [Header] = [], text = ""
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                if let http = response as? HTTPURLResponse {
                    status = UInt16(clamping: http.statusCode)
                    responseHeaders = http.allHeaderFields.map { Header(name: "\($0.key)", value: "\($0.value)") }
                }
                text = String(decoding: data, as: UTF8.self)
            } catch {
                text = "\(error)"
            }
            guard let self else { return }
            await self.apply(self.core.http(nowMs(), id, status, responseHeaders, text))
        }
    }
}

@main
struct EchoBot {
    static func main() async throws {
        var flags: [String: [String]] = [:]
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let name = args.next(), name.hasPrefix("--"), let value = args.next() {
            flags[String(name.dropFirst(2)), default: []].append(value)
        }
        func flag(_ name: String) -> String {
            guard let v = flags[name]?.first else { fatalError("missing --\(name)") }
            return v
        }
        let server = flag("server")
        let core: Core
        switch flag("protocol") {
        case "trueconf":
            var request = URLRequest(url: URL(string: server + "/bridge/api/client/v1/oauth/token")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = trueconfOauthBody(username: flag("user"), password: flag("password")).data(using: .utf8)
            let (data, _) = try await URLSession.shared.data(for: request)
            core = .trueconf(TrueConfClient(token: try trueconfParseOauth(body: String(decoding: data, as: UTF8.self))))
        case "tada": core = .tada(TadaClient(team: flag("team"), token: flag("token")))
        case "talk": core = .talk(TalkClient(user: flag("user"), appPassword: flag("password")))
        default: fatalError("--protocol trueconf|tada|talk")
        }
        let host = Host(core: core, server: server) { host, message in
            guard !message.own, case .text(let text, _) = message.content, let chat = message.chatId else { return }
            // Not awaited here: the answer comes in through the same actor.
            Task { _ = try? await host.send(chat, "echo: \(text)") }
        }
        try await host.start(rooms: flags["room"] ?? [])
        print("echo bot running")
        while true { try await Task.sleep(nanoseconds: 3_600_000_000_000) }
    }
}
