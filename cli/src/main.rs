//! `chatwire`: the command users run to inspect captures (`decode`), talk to servers (`connect`)
//! and run the protocol simulator (`sim`).

mod connect;
mod decode;
mod pretty;
mod protocols;
mod sim;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// chatwire — one client core for TrueConf, tada.team and Nextcloud Talk chat.
#[derive(Parser, Debug)]
#[command(name = "chatwire", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
enum Command {
    /// Decode frames, one per line on stdin, and print one JSON line per frame.
    Decode(decode::Args),
    /// Connect to a server: events out as JSON lines, commands in as JSON lines on stdin.
    Connect(connect::Args),
    /// Run the protocol simulator on loopback.
    Sim(sim::Args),
}

/// The protocols chatwire speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// TrueConf Chatbot API (WebSocket, json.v1).
    Trueconf,
    /// tada.team messenger (WebSocket).
    Tada,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => decode::run(args),
        Command::Connect(args) => connect::run(args),
        Command::Sim(args) => sim::run(args),
    }
}
