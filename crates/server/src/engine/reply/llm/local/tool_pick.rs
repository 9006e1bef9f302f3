//! Which tool a reply that must call one calls: each whole name scored by the model.

use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::token::LlamaToken;
use rtclient_protocol::{ToolChoice, ToolChoiceObject, ToolKind};

use super::{LocalLlm, SEQUENCE, chat_messages, render};
use crate::engine::reply::Prompt;
use crate::engine::reply::chat::Role;
use crate::engine::reply::tool_call;

impl LocalLlm {
    /// Which of the prompt's tools the model calls, when the reply must call one.
    ///
    /// Picking the name token by token, as grammar-constrained greedy decoding does, lets its
    /// first token decide alone, and a small model can score `get` and `set` within a rounding
    /// error of each other. So each whole name is scored instead, by how much more likely the
    /// user's latest words make it than it is after an empty turn (their pointwise mutual
    /// information): a small model favours some names whatever is asked (the first listed, or a
    /// name like the user's words in form), and that bias cancels out.
    pub(super) fn likeliest_tool<'p>(&self, prompt: &Prompt<'p>) -> Result<&'p str, String> {
        let start = tool_call::forced_start(prompt.tool_choice, prompt.tools).unwrap_or_default();
        let mut messages = chat_messages(prompt);
        let mut scores = self.name_scores(&(render(&messages) + &start), prompt.tools)?;
        if let Some(last) = messages.last_mut()
            && last.role == Role::User
        {
            last.content.clear();
            let baseline = self.name_scores(&(render(&messages) + &start), prompt.tools)?;
            for ((_, score), (_, prior)) in scores.iter_mut().zip(baseline) {
                *score -= prior;
            }
        }
        for (name, score) in &scores {
            tracing::debug!(name, score, "the reply model scored a tool's name");
        }
        scores
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(name, _)| name)
            .ok_or_else(|| "no tool has a name the model can write".to_owned())
    }

    /// The log-probability of each of `names`, with its closing quote, after `prompt_text`
    /// (which ends where a tool's name goes).
    fn name_scores<'n>(
        &self,
        prompt_text: &str,
        names: &[&'n str],
    ) -> Result<Vec<(&'n str, f32)>, String> {
        let prompt = self.tokenize(prompt_text);
        // Each name's tokens, unless it merges with the prompt's end when tokenized after it.
        let candidates: Vec<(&str, Vec<LlamaToken>)> = names
            .iter()
            .map(|&name| {
                let whole = self.tokenize(&format!("{prompt_text}{name}\""));
                match whole.strip_prefix(prompt.as_slice()) {
                    Some(rest) if !rest.is_empty() => (name, rest.to_vec()),
                    _ => (name, self.tokenize(&format!("{name}\""))),
                }
            })
            .filter(|(_, tokens)| !tokens.is_empty())
            .collect();
        let longest = candidates.iter().map(|(_, t)| t.len()).max().unwrap_or(0);
        let (mut context, batch) = self.read_prompt(&prompt, longest)?;
        let from = u32::try_from(prompt.len()).map_err(|e| e.to_string())?;
        // The scores after the prompt go when the first name is read: take every first token's
        // now.
        let after_prompt = context.get_logits_ith(batch.n_tokens() - 1);
        let firsts: Vec<f32> = candidates
            .iter()
            .map(|(_, tokens)| log_probability(after_prompt, tokens[0]))
            .collect();
        let mut scores = Vec::with_capacity(candidates.len());
        for ((name, tokens), first) in candidates.into_iter().zip(firsts) {
            let mut score = first;
            if tokens.len() > 1 {
                let mut step = LlamaBatch::new(tokens.len(), 1);
                for (offset, &token) in tokens[..tokens.len() - 1].iter().enumerate() {
                    let position =
                        i32::try_from(prompt.len() + offset).map_err(|e| e.to_string())?;
                    step.add(token, position, &[SEQUENCE], true)
                        .map_err(|e| e.to_string())?;
                }
                context.decode(&mut step).map_err(|e| e.to_string())?;
                for (row, &token) in tokens[1..].iter().enumerate() {
                    let row = i32::try_from(row).map_err(|e| e.to_string())?;
                    score += log_probability(context.get_logits_ith(row), token);
                }
                context
                    .kv_cache_seq_rm(SEQUENCE, Some(from), None)
                    .map_err(|e| e.to_string())?;
            }
            scores.push((name, score));
        }
        self.keep(&context, prompt);
        Ok(scores)
    }
}

/// The log-probability of `token` being next, from the scores of every token.
fn log_probability(logits: &[f32], token: LlamaToken) -> f32 {
    let Some(&logit) = usize::try_from(token.0).ok().and_then(|i| logits.get(i)) else {
        return f32::NEG_INFINITY;
    };
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = logits.iter().map(|l| (l - max).exp()).sum();
    logit - max - sum.ln()
}

/// A `tool_choice` that names the function `name`.
pub(super) fn named_tool(name: &str) -> ToolChoice {
    ToolChoice::Tool(ToolChoiceObject {
        kind: Some(ToolKind::Function),
        name: Some(name.to_owned()),
        ..ToolChoiceObject::default()
    })
}
