//! The tool registry: function tools the conversation offers the model and runs itself.
//!
//! A [`Tool`] is a name, a description, a JSON schema of its arguments (derived from a Rust type
//! with [`Tool::derived`], or given by hand) and an async handler.
//! [`Tools`] holds them with a timeout and an optional approval hook;
//! [`Conversation::set_tools`](super::Conversation::set_tools) puts them in the session. From
//! then on every call the model makes to a registered tool is run by the conversation: calls of
//! one response run concurrently, each under the timeout; every call gets its
//! `function_call_output` (a handler error, a timeout or a refusal becomes an output the model
//! reads, `{"error": "..."}`); once the response ended and all its outputs were sent, exactly one
//! follow-up `response.create` goes out. Calls to names not registered are left to the
//! application, which answers them with
//! [`ConversationHandle::submit_tool_output`](super::ConversationHandle::submit_tool_output).

use std::{
    collections::HashMap,
    fmt,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use rtclient_protocol::{Item, Tool as ToolDefinition};
use serde::{Serialize, de::DeserializeOwned};
use tokio::sync::mpsc;

use crate::{
    conversation::{event::FunctionCall, handle::ConversationHandle},
    error::BoxError,
};

/// How long a handler may run before its call is answered with a timeout error.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(30);

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Handler = Arc<dyn Fn(String) -> BoxFuture<Result<String, BoxError>> + Send + Sync>;
type Approver = Arc<dyn Fn(FunctionCall) -> BoxFuture<Result<(), String>> + Send + Sync>;

/// A function tool: what the model sees (name, description, JSON schema of the arguments) and
/// the async handler that answers a call.
#[derive(Clone)]
pub struct Tool {
    name: String,
    description: String,
    parameters: serde_json::Value,
    handler: Handler,
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("description", &self.description)
            .field("parameters", &self.parameters)
            .finish_non_exhaustive()
    }
}

impl Tool {
    /// A tool whose handler takes the arguments as JSON text (exactly as the model wrote them)
    /// and returns the output text the model reads.
    pub fn new<F, Fut, E>(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
        handler: F,
    ) -> Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let handler: Handler = Arc::new(move |arguments| {
            let call = handler(arguments);
            Box::pin(async move { call.await.map_err(Into::into) })
        });
        Self {
            name: name.into(),
            description: description.into(),
            parameters,
            handler,
        }
    }

    /// A tool whose arguments are parsed into `A` and whose result is written as JSON (a
    /// string result as the string itself). Arguments that do not parse are answered with an
    /// error output saying why, without calling the handler.
    pub fn typed<A, O, F, Fut, E>(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
        handler: F,
    ) -> Self
    where
        A: DeserializeOwned + Send + 'static,
        O: Serialize,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let handler = Arc::new(handler);
        Self::new(name, description, parameters, move |arguments: String| {
            let handler = Arc::clone(&handler);
            async move {
                let arguments: A = serde_json::from_str(&arguments)
                    .map_err(|error| format!("the arguments do not fit the schema: {error}"))?;
                let output = handler(arguments).await.map_err(Into::into)?;
                match serde_json::to_value(output)? {
                    serde_json::Value::String(text) => Ok::<_, BoxError>(text),
                    value => Ok(value.to_string()),
                }
            }
        })
    }

    /// A tool whose arguments' JSON schema is derived from `A` with `schemars` (the
    /// `$schema` and `title` keys left out, as the session's `tools` want a plain object
    /// schema); otherwise as [`typed`](Tool::typed).
    pub fn derived<A, O, F, Fut, E>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: F,
    ) -> Self
    where
        A: schemars::JsonSchema + DeserializeOwned + Send + 'static,
        O: Serialize,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let mut schema = schemars::schema_for!(A);
        schema.remove("$schema");
        schema.remove("title");
        Self::typed(name, description, schema.to_value(), handler)
    }

    /// The tool's name, as the model calls it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `tools` entry of the session for this tool.
    pub fn definition(&self) -> ToolDefinition {
        ToolDefinition::function(
            self.name.clone(),
            self.description.clone(),
            self.parameters.clone(),
        )
    }
}

/// The tools a conversation runs, with the timeout of each call and an optional approval hook.
#[derive(Clone)]
pub struct Tools {
    tools: HashMap<String, Tool>,
    timeout: Duration,
    approver: Option<Approver>,
}

impl fmt::Debug for Tools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.tools.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Tools")
            .field("tools", &names)
            .field("timeout", &self.timeout)
            .field("approval", &self.approver.is_some())
            .finish()
    }
}

impl Default for Tools {
    fn default() -> Self {
        Self::new()
    }
}

impl Tools {
    /// No tools, [`DEFAULT_TOOL_TIMEOUT`], every call approved.
    pub fn new() -> Self {
        Self {
            tools: HashMap::new(),
            timeout: DEFAULT_TOOL_TIMEOUT,
            approver: None,
        }
    }

    /// Adds `tool` (replacing one of the same name).
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.insert(tool.name.clone(), tool);
        self
    }

    /// How long each call may run (default [`DEFAULT_TOOL_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Asks `approve` before each call runs; `Err(reason)` refuses it, and the model reads the
    /// refusal with its reason as the call's output.
    pub fn approve<F, Fut>(mut self, approve: F) -> Self
    where
        F: Fn(FunctionCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.approver = Some(Arc::new(move |call| Box::pin(approve(call))));
        self
    }

    /// The session's `tools` for these tools, sorted by name.
    pub fn definitions(&self) -> Vec<ToolDefinition> {
        let mut tools: Vec<&Tool> = self.tools.values().collect();
        tools.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        tools.into_iter().map(Tool::definition).collect()
    }

    /// Whether a tool of this name is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.tools.contains_key(name)
    }

    /// Runs one call as the conversation does: approval, then the handler under the timeout.
    /// Never fails: every way it can go wrong is an outcome with an output for the model.
    pub async fn run(&self, call: &FunctionCall) -> ToolOutcome {
        let Some(tool) = self.tools.get(&call.name) else {
            return ToolOutcome::Failed(format!("there is no tool named {:?}", call.name));
        };
        if let Some(approver) = &self.approver
            && let Err(reason) = approver(call.clone()).await
        {
            return ToolOutcome::Refused(reason);
        }
        let handler = (tool.handler)(call.arguments.clone());
        match tokio::time::timeout(self.timeout, handler).await {
            Ok(Ok(output)) => ToolOutcome::Output(output),
            Ok(Err(error)) => ToolOutcome::Failed(error.to_string()),
            Err(_) => ToolOutcome::TimedOut(self.timeout),
        }
    }
}

/// How one tool call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToolOutcome {
    /// The handler's output.
    Output(String),
    /// The handler failed (or the tool or its arguments were wrong), with this message.
    Failed(String),
    /// The handler ran longer than the timeout.
    TimedOut(Duration),
    /// The approval hook refused the call, with this reason.
    Refused(String),
}

impl ToolOutcome {
    /// The `function_call_output` the model reads: the output itself, or `{"error": "..."}`.
    pub fn output(&self) -> String {
        let error = match self {
            ToolOutcome::Output(output) => return output.clone(),
            ToolOutcome::Failed(message) => format!("the tool failed: {message}"),
            ToolOutcome::TimedOut(timeout) => {
                format!("the tool did not answer within {} ms", timeout.as_millis())
            }
            ToolOutcome::Refused(reason) => format!("the call was not approved: {reason}"),
        };
        serde_json::json!({ "error": error }).to_string()
    }
}

/// A registered tool's call that the conversation ran and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallDone {
    /// The call.
    pub call: FunctionCall,
    /// How it ended.
    pub outcome: ToolOutcome,
    /// The `event_id` of the `conversation.item.create` of its output; `None` when it could not
    /// be sent (the connection had ended).
    pub output_event_id: Option<String>,
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
/// its response completed. Shared by the Realtime conversation and the GPT-Live session.
#[derive(Debug, Default)]
pub(crate) struct Rounds {
    rounds: HashMap<String, Round>,
}

impl Rounds {
    /// A call of `response_id` started.
    pub(crate) fn call_started(&mut self, response_id: &str) {
        self.rounds
            .entry(response_id.to_owned())
            .or_default()
            .running += 1;
    }

    /// A call of `response_id` finished; returns whether its round is now over and wants a
    /// follow-up response.
    pub(crate) fn call_finished(&mut self, response_id: &str) -> bool {
        if let Some(round) = self.rounds.get_mut(response_id) {
            round.running = round.running.saturating_sub(1);
            round.ran += 1;
        }
        self.take_finished(response_id)
    }

    /// `response_id` ended (`completed` or not); returns whether its round is over and wants a
    /// follow-up response.
    pub(crate) fn response_done(&mut self, response_id: &str, completed: bool) -> bool {
        match self.rounds.get_mut(response_id) {
            Some(round) => {
                round.ended = Some(completed);
                self.take_finished(response_id)
            }
            None => false,
        }
    }

    /// Forgets every round.
    pub(crate) fn clear(&mut self) {
        self.rounds.clear();
    }

    /// Whether calls are running or a round waits for its response to end.
    pub(crate) fn busy(&self) -> bool {
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

/// Runs the registered tools' calls as tasks and tracks each response's round.
#[derive(Debug)]
pub(super) struct ToolRunner {
    tools: Arc<Tools>,
    rounds: Rounds,
    done_tx: mpsc::UnboundedSender<ToolCallDone>,
    done_rx: mpsc::UnboundedReceiver<ToolCallDone>,
}

impl ToolRunner {
    pub(super) fn new(tools: Tools) -> Self {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        Self {
            tools: Arc::new(tools),
            rounds: Rounds::default(),
            done_tx,
            done_rx,
        }
    }

    /// Starts `call` if its tool is registered; returns whether it did.
    pub(super) fn start(&mut self, call: &FunctionCall, handle: &ConversationHandle) -> bool {
        if !self.tools.contains(&call.name) {
            return false;
        }
        self.rounds.call_started(&call.response_id);
        let (tools, handle, done) = (
            Arc::clone(&self.tools),
            handle.clone(),
            self.done_tx.clone(),
        );
        let call = call.clone();
        tokio::spawn(async move {
            let outcome = tools.run(&call).await;
            let output = Item::function_call_output(call.call_id.clone(), outcome.output());
            let output_event_id = handle.add_item(output).await.ok();
            // The conversation may be gone; then nobody waits for the result.
            let _ = done.send(ToolCallDone {
                call,
                outcome,
                output_event_id,
            });
        });
        true
    }

    /// `response.done` of `response_id`; returns whether its round is over and wants a
    /// follow-up response.
    pub(super) fn response_done(&mut self, response_id: &str, completed: bool) -> bool {
        self.rounds.response_done(response_id, completed)
    }

    /// The next finished call, and whether its response's round is now over and wants a
    /// follow-up response.
    pub(super) fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<(ToolCallDone, bool)> {
        let Poll::Ready(Some(done)) = self.done_rx.poll_recv(cx) else {
            // The runner holds a sender itself, so the channel never closes.
            return Poll::Pending;
        };
        let follow_up = self.rounds.call_finished(&done.call.response_id);
        Poll::Ready((done, follow_up))
    }

    /// The session ended: its responses' rounds are forgotten (calls still running send
    /// their outputs to the new session, which has their calls when they were replayed).
    pub(super) fn session_ended(&mut self) {
        self.rounds.clear();
    }

    /// Whether calls are running or a round waits for its response to end.
    pub(super) fn busy(&self) -> bool {
        self.rounds.busy()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn call(name: &str, arguments: &str) -> FunctionCall {
        FunctionCall {
            call_id: format!("call_{name}"),
            name: name.to_owned(),
            arguments: arguments.to_owned(),
            item_id: "item_1".to_owned(),
            response_id: "resp_1".to_owned(),
        }
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct City {
        /// The city's name.
        city: String,
    }

    fn weather() -> Tool {
        Tool::typed(
            "get_weather",
            "The weather in a city.",
            serde_json::json!({"type": "object", "properties": {"city": {"type": "string"}}}),
            |args: City| async move {
                match args.city.as_str() {
                    "Atlantis" => Err("no such city"),
                    city => Ok(serde_json::json!({"city": city, "sky": "clear"})),
                }
            },
        )
    }

    #[tokio::test]
    async fn outcomes_become_outputs_the_model_reads() {
        let tools = Tools::new().tool(weather());
        let ok = tools.run(&call("get_weather", r#"{"city":"Paris"}"#)).await;
        assert_eq!(
            ok,
            ToolOutcome::Output(r#"{"city":"Paris","sky":"clear"}"#.into())
        );
        let failed = tools
            .run(&call("get_weather", r#"{"city":"Atlantis"}"#))
            .await;
        assert_eq!(failed, ToolOutcome::Failed("no such city".into()));
        assert_eq!(
            failed.output(),
            r#"{"error":"the tool failed: no such city"}"#
        );
        let bad = tools.run(&call("get_weather", "{")).await;
        assert!(
            matches!(&bad, ToolOutcome::Failed(m) if m.starts_with("the arguments do not fit")),
            "{bad:?}"
        );
        let unknown = tools.run(&call("nope", "{}")).await;
        assert!(matches!(unknown, ToolOutcome::Failed(_)));
    }

    #[tokio::test]
    async fn slow_calls_time_out_and_refused_calls_do_not_run() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let slow = Tool::new("slow", "Never answers.", serde_json::json!({}), move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                std::future::pending::<()>().await;
                Ok::<_, BoxError>(String::new())
            }
        });
        let tools = Tools::new().tool(slow).timeout(Duration::from_millis(50));
        let outcome = tools.run(&call("slow", "{}")).await;
        assert_eq!(outcome, ToolOutcome::TimedOut(Duration::from_millis(50)));
        assert!(outcome.output().contains("did not answer within 50 ms"));

        let tools = tools.approve(|call| async move { Err(format!("{} is off", call.name)) });
        let outcome = tools.run(&call("slow", "{}")).await;
        assert_eq!(outcome, ToolOutcome::Refused("slow is off".into()));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_derived_schema_describes_the_arguments() {
        let tool = Tool::derived("where", "Says the city.", |args: City| async move {
            Ok::<_, BoxError>(args.city)
        });
        let parameters = tool.definition().parameters.unwrap();
        assert_eq!(parameters["type"], "object");
        assert_eq!(parameters["properties"]["city"]["type"], "string");
        assert_eq!(
            parameters["properties"]["city"]["description"],
            "The city's name."
        );
        assert_eq!(parameters["required"], serde_json::json!(["city"]));
        assert!(parameters.get("$schema").is_none() && parameters.get("title").is_none());
        let tools = Tools::new().tool(tool);
        let outcome = tools.run(&call("where", r#"{"city":"Oslo"}"#)).await;
        assert_eq!(outcome, ToolOutcome::Output("Oslo".into()));
    }

    #[test]
    fn definitions_are_function_tools_sorted_by_name() {
        let tools = Tools::new().tool(weather()).tool(Tool::new(
            "alarm",
            "Sets an alarm.",
            serde_json::json!({}),
            |_| async { Ok::<_, BoxError>("set".to_owned()) },
        ));
        let names: Vec<_> = tools
            .definitions()
            .into_iter()
            .map(|tool| tool.name.unwrap())
            .collect();
        assert_eq!(names, ["alarm", "get_weather"]);
    }

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
