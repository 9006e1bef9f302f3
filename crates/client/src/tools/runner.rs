//! [`ToolRunner`]: runs the registered tools' calls for a session, sends each output through
//! the session's [`OutputSender`], and says when a response's round of calls wants its
//! follow-up response.

use std::{
    collections::HashMap,
    future::Future,
    sync::Arc,
    task::{Context, Poll},
};

use tokio::sync::mpsc;

use crate::{
    error::Error,
    tools::{
        call::{FunctionCall, ToolCallDone},
        registry::Tools,
    },
};

/// How a session sends a tool call's output to the model: a `function_call_output` item on the
/// session's current connection.
pub(crate) trait OutputSender: Clone + Send + Sync + 'static {
    /// Sends `output` as the `function_call_output` of call `call_id`; returns the `event_id`
    /// it was sent with.
    fn send_output(
        &self,
        call_id: String,
        output: String,
    ) -> impl Future<Output = Result<String, Error>> + Send;
}

/// The tool calls of one response, while they run.
#[derive(Debug, Default)]
struct Round {
    running: usize,
    ran: usize,
    /// `Some(completed)` once the response ended.
    ended: Option<bool>,
}

/// The tool rounds of the responses whose calls run: a round is over when its response ended
/// and its last call finished, and wants exactly one follow-up response when it ran calls and
/// its response completed.
#[derive(Debug, Default)]
struct Rounds {
    rounds: HashMap<String, Round>,
}

impl Rounds {
    /// A call of `response_id` started.
    fn call_started(&mut self, response_id: &str) {
        self.rounds
            .entry(response_id.to_owned())
            .or_default()
            .running += 1;
    }

    /// A call of `response_id` finished; returns whether its round is now over and wants a
    /// follow-up response.
    fn call_finished(&mut self, response_id: &str) -> bool {
        if let Some(round) = self.rounds.get_mut(response_id) {
            round.running = round.running.saturating_sub(1);
            round.ran += 1;
        }
        self.take_finished(response_id)
    }

    /// `response_id` ended (`completed` or not); returns whether its round is over and wants a
    /// follow-up response.
    fn response_done(&mut self, response_id: &str, completed: bool) -> bool {
        match self.rounds.get_mut(response_id) {
            Some(round) => {
                round.ended = Some(completed);
                self.take_finished(response_id)
            }
            None => false,
        }
    }

    /// Forgets every round.
    fn clear(&mut self) {
        self.rounds.clear();
    }

    /// Whether calls are running or a round waits for its response to end.
    fn busy(&self) -> bool {
        !self.rounds.is_empty()
    }

    /// Removes the round of `response_id` when it is over: `true` when it ran calls and its
    /// response completed (a cancelled or failed response gets no follow-up).
    fn take_finished(&mut self, response_id: &str) -> bool {
        let over = self
            .rounds
            .get(response_id)
            .is_some_and(|round| round.running == 0 && round.ended.is_some());
        if !over {
            return false;
        }
        self.rounds
            .remove(response_id)
            .is_some_and(|round| round.ran > 0 && round.ended == Some(true))
    }
}

/// Runs the registered tools' calls as tasks and tracks each response's round: the one runner
/// of the Realtime conversation and the GPT-Live session.
#[derive(Debug)]
pub(crate) struct ToolRunner {
    tools: Arc<Tools>,
    rounds: Rounds,
    done_tx: mpsc::UnboundedSender<ToolCallDone>,
    done_rx: mpsc::UnboundedReceiver<ToolCallDone>,
}

impl ToolRunner {
    /// A runner of `tools`, with no call running.
    pub(crate) fn new(tools: Tools) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            tools: Arc::new(tools),
            rounds: Rounds::default(),
            done_tx,
            done_rx,
        }
    }

    /// The registry it runs.
    pub(crate) fn tools(&self) -> &Tools {
        &self.tools
    }

    /// Starts `call` if its tool is registered, its output to be sent through `sender`;
    /// returns whether it did.
    pub(crate) fn start(&mut self, call: &FunctionCall, sender: &impl OutputSender) -> bool {
        if !self.tools.contains(&call.name) {
            return false;
        }
        self.rounds.call_started(&call.response_id);
        let (tools, sender, done) = (
            Arc::clone(&self.tools),
            sender.clone(),
            self.done_tx.clone(),
        );
        let call = call.clone();
        tokio::spawn(async move {
            let outcome = tools.run(&call).await;
            let output_event_id = sender
                .send_output(call.call_id.clone(), outcome.output())
                .await
                .ok();
            // The session may be gone; then nobody waits for the result.
            let _ = done.send(ToolCallDone {
                call,
                outcome,
                output_event_id,
            });
        });
        true
    }

    /// The response `response_id` ended (`completed` or not); returns whether its round is over
    /// and wants a follow-up response.
    pub(crate) fn response_done(&mut self, response_id: &str, completed: bool) -> bool {
        self.rounds.response_done(response_id, completed)
    }

    /// The next finished call, its output sent, and whether its response's round is now over
    /// and wants a follow-up response. Cancel-safe.
    pub(crate) fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<(ToolCallDone, bool)> {
        let Poll::Ready(Some(done)) = self.done_rx.poll_recv(cx) else {
            // The runner holds a sender itself, so the channel never closes.
            return Poll::Pending;
        };
        let follow_up = self.rounds.call_finished(&done.call.response_id);
        Poll::Ready((done, follow_up))
    }

    /// The session ended: its responses' rounds are forgotten (calls still running send
    /// their outputs to the new session, which has their calls when they were replayed).
    pub(crate) fn session_ended(&mut self) {
        self.rounds.clear();
    }

    /// Whether calls are running or a round waits for its response to end.
    pub(crate) fn busy(&self) -> bool {
        self.rounds.busy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_wants_one_follow_up_after_its_last_call_and_its_response() {
        let mut rounds = Rounds::default();
        rounds.call_started("resp_1");
        rounds.call_started("resp_1");
        assert!(!rounds.call_finished("resp_1"));
        assert!(!rounds.response_done("resp_1", true));
        assert!(rounds.call_finished("resp_1"));
        assert!(!rounds.busy());
        // A cancelled response gets no follow-up.
        rounds.call_started("resp_2");
        assert!(!rounds.response_done("resp_2", false));
        assert!(!rounds.call_finished("resp_2"));
        assert!(!rounds.busy());
    }
}
