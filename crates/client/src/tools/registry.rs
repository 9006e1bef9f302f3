//! [`Tool`]: a function the model may call, and [`Tools`]: the registry a session runs.

use std::{collections::HashMap, fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use rtclient_protocol::Tool as ToolDefinition;
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    error::BoxError,
    tools::call::{FunctionCall, ToolOutcome},
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

/// The tools a session runs, with the timeout of each call and an optional approval hook.
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

    /// Runs one call as a session does: approval, then the handler under the timeout.
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
}
