//! The response writer: runs one response, from the responder's answer to `response.done`, as
//! a task that can be cancelled at any point.
//!
//! Its modules call one way, each only the ones below it:
//!
//! - here, [`generate`]: starts the responder, then waits out the answer's faults and writes
//!   it: a failure, function calls, or a message;
//! - [`reply`]: a message's reply as it comes, text deltas or speech sentence by sentence;
//! - [`responder`] (beside them, called by both): the responder run off the async runtime,
//!   its output handed over as it comes;
//! - [`message`]: an assistant message's events, its item and content part opened, deltas
//!   streamed at the engines' pace, the part and the item closed;
//! - [`output`]: [`Ctx`], which emits each event while the response is still the active one
//!   and records it in the session state, and how a response ends (completed, failed, refused
//!   or cancelled); [`part`] holds the content part events it and `message` send.

mod message;
mod output;
mod part;
mod reply;
mod responder;

use std::sync::Arc;

use rtclient_protocol::event::server as ev;
use rtclient_protocol::{ApiError, Item, ItemKind, ItemStatus, Nullable, ServerEvent};

use self::message::{complete_message, limit_tokens, open_message, pause, stream_text};
use self::output::{Ctx, Step, sent, with_open};
pub(super) use self::output::{cancel, refuse};
use self::responder::{Produced, ReplyStream};
use super::emit::Emitter;
use super::plan::Plan;
use super::state::SharedState;
use crate::engine::faults::Failure;
use crate::engine::reply::{FunctionCall, Reply};
use crate::session::engines::Engines;
use crate::session::ids::new_id;

/// Runs one response to its end (or until it is cancelled elsewhere), with the faults its
/// answer carries: a stall after `response.created`, a broken connection during or after it.
pub(super) async fn generate(
    state: SharedState,
    emitter: Emitter,
    engines: Arc<Engines>,
    plan: Plan,
) {
    let id = plan.id.clone();
    let mut replies = ReplyStream::start(&state, &engines, &plan, &id);
    let answer = match replies.next().await {
        Some(Produced::Done(answer)) => answer,
        // A model speaking as it generates: the reply streams as it comes.
        Some(Produced::Text(first)) => {
            let ctx = Ctx {
                state: &state,
                emitter: &emitter,
                id: &id,
                in_conversation: plan.in_conversation,
            };
            let _ = reply::respond(&ctx, &engines, &plan, first, Some(replies)).await;
            emitter.end_of_response();
            return;
        }
        None => return,
    };
    // `response.created` was sent already: it counts towards a disruption's events.
    let emitter = match answer.disruption {
        Some(disruption) => emitter.with_disruption(disruption, 1),
        None => emitter,
    };
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let ctx = Ctx {
        state: &state,
        emitter: &emitter,
        id: &id,
        in_conversation: plan.in_conversation,
    };
    // However far the reply got, the response ends here.
    let _ = respond(&ctx, &engines, &plan, answer.reply).await;
    emitter.end_of_response();
}

/// Streams `reply` as the response's events.
async fn respond(ctx: &Ctx<'_>, engines: &Arc<Engines>, plan: &Plan, reply: Reply) -> Step {
    match reply {
        Reply::Fail(failure) => fail(ctx, &failure),
        Reply::Calls(calls) => {
            for function in calls {
                call(ctx, engines, function).await?;
            }
            ctx.finish_response();
            Step::Continue(())
        }
        Reply::Say(text) => say(ctx, engines, plan, text).await,
    }
}

/// An `error` event, then the response fails with it.
fn fail(ctx: &Ctx<'_>, failure: &Failure) -> Step {
    let error = ServerEvent::error(ApiError {
        kind: Some(failure.kind.clone()),
        code: Some(failure.code.clone().into()),
        message: Some(failure.message.clone()),
        param: Some(Nullable::Null),
        event_id: Some(Nullable::Null),
        ..Default::default()
    });
    sent(ctx.emit(error))?;
    ctx.fail(failure);
    Step::Continue(())
}

/// A function call item, its arguments streamed in four pieces, up to its `output_item.done`.
async fn call(ctx: &Ctx<'_>, engines: &Engines, function: FunctionCall) -> Step {
    let FunctionCall { name, arguments } = function;
    let item_id = new_id("item_");
    let call_id = new_id("call_");
    let mut item = Item {
        id: Some(item_id.clone()),
        kind: Some(ItemKind::FunctionCall),
        status: Some(ItemStatus::InProgress),
        name: Some(name.clone()),
        call_id: Some(call_id.clone()),
        arguments: Some(String::new()),
        ..Default::default()
    };
    let Some(output_index) = ctx.add_item(&item_id, &item) else {
        return Step::Break(());
    };
    for piece in split_text(&arguments, 4) {
        let delta = ev::ResponseFunctionCallArgumentsDelta {
            response_id: ctx.id.to_owned(),
            item_id: item_id.clone(),
            output_index,
            call_id: call_id.clone(),
            delta: piece.clone(),
            ..Default::default()
        };
        sent(ctx.emit_updating(delta, |st| with_open(st, |open| open.sent.push_str(&piece))))?;
        pause(engines.pace, 10).await;
    }
    let done = ev::ResponseFunctionCallArgumentsDone {
        response_id: ctx.id.to_owned(),
        item_id: item_id.clone(),
        output_index,
        call_id,
        name: Some(name),
        arguments: arguments.clone(),
        ..Default::default()
    };
    sent(ctx.emit_updating(done, |st| with_open(st, |open| open.stream_done = true)))?;
    item.status = Some(ItemStatus::Completed);
    item.arguments = Some(arguments);
    sent(ctx.finish_item(item, Vec::new(), 0))
}

/// An assistant message: speech with its transcript (spoken clause by clause as it is
/// synthesized), or text; cut to `max_output_tokens`.
async fn say(ctx: &Ctx<'_>, engines: &Arc<Engines>, plan: &Plan, text: String) -> Step {
    if plan.audio {
        return reply::respond(ctx, engines, plan, text, None).await;
    }
    let (text, cut) = limit_tokens(text, plan.response.max_output_tokens);
    let item_id = new_id("item_");
    let Some(item) = open_message(ctx, &item_id, plan.audio) else {
        return Step::Break(());
    };
    stream_text(ctx, engines, &item_id, &text).await?;
    complete_message(ctx, item, plan.audio, text, cut, Vec::new(), 0)
}

fn split_text(text: &str, pieces: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(pieces).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}
