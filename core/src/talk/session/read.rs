//! Read state: what the app is told, from the room, the list and the headers.

use super::*;

impl TalkSession {
    /// Reports `token`'s read state if it changed.
    pub(super) fn publish_read(&mut self, token: &str) {
        let Some(room) = self.rooms.get(token) else {
            return;
        };
        let update = room.read_update();
        self.report_read(token, update);
    }

    /// Applies `update` to `token`'s read state and tells the app if that changed it.
    pub(super) fn report_read(&mut self, token: &str, update: ReadUpdate) {
        if let Some(state) = self.reads.apply(token, update) {
            self.outbox.event(Event::ReadStateChanged {
                chat_id: token.to_string(),
                state,
            });
        }
    }

    /// Takes `X-Chat-Last-Common-Read` from any answer that carries it.
    pub(super) fn common_read_header(&mut self, token: &str, response: &HttpResponse) {
        let Some(common) = common_read_of(response) else {
            return;
        };
        match self.rooms.get_mut(token) {
            Some(room) => room.last_common_read = Some(common),
            None => {
                let update = ReadUpdate {
                    last_common_read_id: Some(common.to_string()),
                    ..Default::default()
                };
                self.report_read(token, update);
            }
        }
    }

    /// A command's answer carried the common read marker: take it and report the room's state
    /// (the poll loop reports its own answers; commands answer outside it).
    pub(super) fn command_common_read(&mut self, token: &str, response: &HttpResponse) {
        self.common_read_header(token, response);
        self.publish_read(token);
    }
}

/// The `X-Chat-Last-Common-Read` an answer carries, if it can be a message id (not negative).
pub(super) fn common_read_of(response: &HttpResponse) -> Option<i64> {
    int_header(response, LAST_COMMON_READ).filter(|c| *c >= 0)
}
