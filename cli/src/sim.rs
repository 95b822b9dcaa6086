//! `chatwire sim`: the protocol simulator as a command.

use chatwire_sim::{CorsMode, Faults, Protocols, SimConfig, TalkVersion};
use clap::ValueEnum;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Which protocols to serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SimProtocol {
    /// TrueConf Chatbot API.
    Trueconf,
    /// tada.team.
    Tada,
    /// Nextcloud Talk.
    Talk,
    /// All three on one listener.
    All,
}

/// Cross-origin policy of the simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SimCors {
    /// Any origin may read every answer (`X-Chat-*` exposed).
    Permissive,
    /// As Nextcloud: Talk (`/ocs/...`) answers are readable same-origin only.
    Strict,
}

/// Arguments of `chatwire sim`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Protocol(s) to serve.
    #[arg(long, value_enum, default_value = "all")]
    protocol: SimProtocol,
    /// Loopback address to bind (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Seed for every random choice, so a run can be reproduced.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Close each WebSocket after this many server frames.
    #[arg(long)]
    drop_after_frames: Option<u32>,
    /// Delay every server frame by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Send every server event twice.
    #[arg(long)]
    duplicate: bool,
    /// Swap adjacent server events.
    #[arg(long)]
    reorder: bool,
    /// Precede every Nth server frame with a malformed one.
    #[arg(long)]
    malformed_every: Option<u32>,
    /// Answer the next N Talk requests with 429.
    #[arg(long, default_value_t = 0)]
    http_429_burst: u32,
    /// Answer the next N Talk requests with 503.
    #[arg(long, default_value_t = 0)]
    http_503_burst: u32,
    /// Cap for Talk long-poll waits, in seconds (the real server caps at 30).
    #[arg(long, default_value_t = 30)]
    talk_poll_cap_secs: u64,
    /// Nextcloud Talk release to play: 19 edits messages, 18 answers edits 405.
    #[arg(long, default_value_t = 19, value_parser = clap::value_parser!(u8).range(18..=19))]
    talk_version: u8,
    /// Extra Talk group rooms `bulk-1` ... `bulk-N` (alice, bob, carol), for many-room clients.
    #[arg(long, default_value_t = 0)]
    talk_bulk_rooms: usize,
    /// Cross-origin policy: `strict` behaves like Nextcloud (Talk readable same-origin only).
    #[arg(long, value_enum, default_value = "permissive")]
    cors: SimCors,
    /// Serve the files of this directory at `/` (a web page on the simulator's own origin).
    #[arg(long = "static", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// TrueConf: milliseconds a sent file stays "uploading" (readyState 1, with
    /// uploadFileProgress to subscribers) before it is ready; 0 = ready at once.
    #[arg(long, default_value_t = 0)]
    trueconf_file_ready_ms: u64,
}

/// Serves until Ctrl-C or SIGTERM, printing the bound address first.
pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chatwire sim: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> ExitCode {
    if let Some(dir) = args.static_dir.as_ref().filter(|d| !d.is_dir()) {
        eprintln!("chatwire sim: --static {}: not a directory", dir.display());
        return ExitCode::from(2);
    }
    let protocols = match args.protocol {
        SimProtocol::All => Protocols::ALL,
        one => Protocols {
            trueconf: one == SimProtocol::Trueconf,
            tada: one == SimProtocol::Tada,
            talk: one == SimProtocol::Talk,
        },
    };
    let config = SimConfig {
        listen: args.listen,
        protocols,
        seed: args.seed,
        faults: Faults {
            drop_after_frames: args.drop_after_frames,
            delay_ms: args.delay_ms,
            duplicate: args.duplicate,
            reorder: args.reorder,
            malformed_every: args.malformed_every,
            http_429_burst: args.http_429_burst,
            http_503_burst: args.http_503_burst,
            // Set at run time (`POST /admin/inject`), as the soak does.
            http_retry_after_secs: None,
        },
        talk_poll_timeout_cap_secs: args.talk_poll_cap_secs,
        talk_version: if args.talk_version == 18 {
            TalkVersion::V18
        } else {
            TalkVersion::V19
        },
        cors: match args.cors {
            SimCors::Permissive => CorsMode::Permissive,
            SimCors::Strict => CorsMode::Strict,
        },
        talk_bulk_rooms: args.talk_bulk_rooms,
        static_dir: args.static_dir,
        trueconf_file_ready_ms: args.trueconf_file_ready_ms,
        ..SimConfig::default()
    };
    let handle = match chatwire_sim::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("chatwire sim: {e}");
            return ExitCode::from(1);
        }
    };
    let addr = handle.addr();
    println!(
        "{}",
        serde_json::json!({"listening": format!("http://{addr}"), "protocols": {
        "trueconf": protocols.trueconf, "tada": protocols.tada, "talk": protocols.talk}})
    );
    // Stdin is not watched: a simulator started in the background of a script gets /dev/null.
    let terminate = async {
        #[cfg(unix)]
        if let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            sig.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    let faults = handle.client_faults();
    if !faults.is_empty() {
        eprintln!(
            "chatwire sim: client faults seen: {}",
            serde_json::json!(faults)
        );
    }
    handle.shutdown().await;
    ExitCode::SUCCESS
}
