//! `chatwire decode`: frames in, one JSON verdict per frame out.

use crate::Protocol;
use chatwire::{Direction, Inspection};
use clap::ValueEnum;
use serde_json::json;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;

/// Which way the frames travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Dir {
    /// Server to client (the default).
    In,
    /// Client to server.
    Out,
}

/// Arguments of `chatwire decode`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Protocol of the frames.
    #[arg(long, value_enum)]
    protocol: Protocol,
    /// Direction of the frames.
    #[arg(long, value_enum, default_value = "in")]
    direction: Dir,
}

/// Decodes stdin line by line. Bad frames are reported per line and do not change the exit code
/// (a capture with a few broken frames is still worth reading); only I/O failure exits non-zero.
pub fn run(args: Args) -> ExitCode {
    let direction = match args.direction {
        Dir::In => Direction::In,
        Dir::Out => Direction::Out,
    };
    let stdin = io::stdin();
    let mut out = io::BufWriter::new(io::stdout().lock());
    // Lines as bytes: a line that is not UTF-8 is one bad frame, reported like any other, not
    // the end of the capture.
    for line in stdin.lock().split(b'\n') {
        let bytes = match line {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("chatwire decode: cannot read stdin: {e}");
                return ExitCode::from(1);
            }
        };
        let verdict = match String::from_utf8(bytes) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => match inspect(args.protocol, line.trim_end_matches('\r'), direction) {
                Ok(i) => json!({"ok": true, "kind": i.kind, "name": i.name, "ack": i.ack}),
                Err(reason) => json!({"ok": false, "error": reason}),
            },
            Err(e) => json!({"ok": false, "error": format!("not UTF-8: {}", e.utf8_error())}),
        };
        if writeln!(out, "{verdict}").is_err() {
            // stdout closed (piped into `head`): nothing more to say.
            return ExitCode::SUCCESS;
        }
    }
    let _ = out.flush();
    ExitCode::SUCCESS
}

fn inspect(protocol: Protocol, line: &str, direction: Direction) -> Result<Inspection, String> {
    match protocol {
        Protocol::Trueconf => chatwire::trueconf::inspect_trueconf(line, direction),
        Protocol::Tada => chatwire::tada::inspect_tada(line, direction),
    }
}
