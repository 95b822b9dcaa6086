//! `Outbox`: transmits bounded and in order (control frames always taken), events never lost,
//! protocol errors past the cap counted exactly, never more than the cap waiting.

use chatwire::internals::Outbox;
use chatwire::{Event, RequestId, Transmit};
use proptest::prelude::*;
use std::collections::VecDeque;

#[derive(Clone, Debug)]
enum Op {
    Frame,
    Control,
    PollTransmit,
    Event,
    ProtocolError,
    Resolve,
    PollEvents(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Frame),
        1 => Just(Op::Control),
        3 => Just(Op::PollTransmit),
        2 => Just(Op::Event),
        4 => Just(Op::ProtocolError),
        1 => Just(Op::Resolve),
        2 => (0usize..6).prop_map(Op::PollEvents),
    ]
}

proptest! {
    #[test]
    fn the_outbox_keeps_its_bounds_and_loses_nothing(
        limit in 1usize..6,
        cap in 0u32..4,
        ops in proptest::collection::vec(op(), 0..120),
    ) {
        let mut outbox = Outbox::new(limit).cap_protocol_errors(cap);
        // The model: transmits in order; every event but protocol errors in order.
        let mut transmits: VecDeque<String> = VecDeque::new();
        let mut others: VecDeque<String> = VecDeque::new();
        let (mut errors_in, mut errors_out, mut dropped) = (0u64, 0u64, 0u64);
        let mut waiting_errors = 0u32;
        let mut n = 0u32;
        let take = |e: Event, others: &mut VecDeque<String>, waiting: &mut u32,
                        errors_out: &mut u64, dropped: &mut u64| -> Result<(), TestCaseError> {
            match e {
                Event::ProtocolError { .. } => {
                    // More than the model let wait means the cap did not hold.
                    prop_assert!(*waiting > 0, "a protocol error past the cap was queued");
                    *errors_out += 1;
                    *waiting -= 1;
                }
                Event::ProtocolErrorsDropped { dropped: d, limit } => {
                    prop_assert_eq!(limit, cap as u64);
                    prop_assert!(d > 0);
                    *dropped += d;
                }
                Event::Disconnected { reason } => {
                    prop_assert_eq!(Some(reason), others.pop_front());
                }
                Event::RequestFailed { request, .. } => {
                    prop_assert_eq!(Some(request.0.to_string()), others.pop_front());
                }
                other => prop_assert!(false, "unexpected {other:?}"),
            }
            Ok(())
        };
        for op in ops {
            n += 1;
            match op {
                Op::Frame => {
                    let fits = transmits.len() < limit;
                    let result = outbox.frame(n.to_string());
                    prop_assert_eq!(result.is_ok(), fits);
                    if fits {
                        transmits.push_back(n.to_string());
                    }
                }
                Op::Control => {
                    outbox.control_frame(n.to_string());
                    transmits.push_back(n.to_string());
                }
                Op::PollTransmit => {
                    let got = outbox.poll_transmit().map(|t| match t {
                        Transmit::Frame { text } => text,
                        other => panic!("{other:?}"),
                    });
                    prop_assert_eq!(got, transmits.pop_front());
                }
                Op::Event => {
                    outbox.event(Event::Disconnected { reason: n.to_string() });
                    others.push_back(n.to_string());
                }
                Op::ProtocolError => {
                    outbox.event(Event::ProtocolError { raw: String::new(), reason: n.to_string() });
                    errors_in += 1;
                    if cap == 0 || waiting_errors < cap {
                        waiting_errors += 1;
                    }
                }
                Op::Resolve => {
                    outbox.resolve(RequestId(n), Err(chatwire::Error::Timeout));
                    others.push_back(n.to_string());
                }
                Op::PollEvents(k) => {
                    for _ in 0..k {
                        let Some(e) = outbox.poll_event() else { break };
                        take(e, &mut others, &mut waiting_errors, &mut errors_out, &mut dropped)?;
                    }
                }
            }
        }
        while let Some(e) = outbox.poll_event() {
            take(e, &mut others, &mut waiting_errors, &mut errors_out, &mut dropped)?;
        }
        prop_assert!(others.is_empty(), "events lost: {others:?}");
        prop_assert_eq!(errors_out + dropped, errors_in, "every protocol error reported or counted");
        if cap == 0 {
            prop_assert_eq!(dropped, 0);
        }
    }
}
