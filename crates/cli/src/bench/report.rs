//! What the sessions measured, merged, and the machine's view (memory, CPU, load), printed.

use std::time::Duration;

/// Per-session results, merged into one for the report.
#[derive(Debug, Default)]
pub(super) struct Stats {
    pub(super) events: u64,
    pub(super) vad_ack: Vec<u32>,
    pub(super) resp_created: Vec<u32>,
    pub(super) first_audio: Vec<u32>,
    pub(super) delta_late: Vec<u32>,
    pub(super) started: u64,
    pub(super) stopped: u64,
    pub(super) committed: u64,
    pub(super) created: u64,
    pub(super) done: u64,
    pub(super) cancelled: u64,
    pub(super) lost: Lost,
    pub(super) errors: u64,
    pub(super) conn_errors: u64,
}

impl Stats {
    pub(super) fn merge(&mut self, o: Stats) {
        self.events += o.events;
        self.vad_ack.extend(o.vad_ack);
        self.resp_created.extend(o.resp_created);
        self.first_audio.extend(o.first_audio);
        self.delta_late.extend(o.delta_late);
        self.started += o.started;
        self.stopped += o.stopped;
        self.committed += o.committed;
        self.created += o.created;
        self.done += o.done;
        self.cancelled += o.cancelled;
        self.lost.merge(o.lost);
        self.errors += o.errors;
        self.conn_errors += o.conn_errors;
    }

    /// Turns and responses must pair up one to one; every mismatch is a lost event.
    pub(super) fn count_unpaired(&mut self) {
        self.lost.unpaired += self.started.abs_diff(self.stopped)
            + self.stopped.abs_diff(self.committed)
            + self.committed.abs_diff(self.created)
            + self.created.abs_diff(self.done);
    }
}

/// Events that break the flow a session must follow, by what went wrong.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Lost {
    /// Frames that are not JSON events.
    pub(super) unparsable: u64,
    /// A VAD event other than the one the replay predicts next.
    pub(super) vad_order: u64,
    /// Predicted VAD events that never came.
    pub(super) vad_missing: u64,
    /// Audio or a `response.done` for a response that was never created or is already done.
    pub(super) unknown_response: u64,
    /// Audio after the response's `response.output_audio.done`.
    pub(super) audio_after_done: u64,
    /// A completed response with no audio, or without `response.output_audio.done`.
    pub(super) silent: u64,
    /// A response that ended neither completed nor cancelled (failed or incomplete).
    pub(super) not_completed: u64,
    /// Turns and responses that do not pair up (started, stopped, committed, created, done).
    pub(super) unpaired: u64,
}

impl Lost {
    /// Each kind's name in the report, and its count. Destructured, so a new kind cannot be
    /// left out of the report.
    fn counts(&self) -> [(&'static str, u64); 8] {
        let Lost {
            unparsable,
            vad_order,
            vad_missing,
            unknown_response,
            audio_after_done,
            silent,
            not_completed,
            unpaired,
        } = *self;
        [
            ("unparsable", unparsable),
            ("vad order", vad_order),
            ("vad missing", vad_missing),
            ("unknown response", unknown_response),
            ("audio after done", audio_after_done),
            ("silent", silent),
            ("not completed", not_completed),
            ("unpaired", unpaired),
        ]
    }

    /// Adds `other`'s counts to these. Destructured, so a new kind cannot be left out.
    fn merge(&mut self, other: Lost) {
        let Lost {
            unparsable,
            vad_order,
            vad_missing,
            unknown_response,
            audio_after_done,
            silent,
            not_completed,
            unpaired,
        } = other;
        self.unparsable += unparsable;
        self.vad_order += vad_order;
        self.vad_missing += vad_missing;
        self.unknown_response += unknown_response;
        self.audio_after_done += audio_after_done;
        self.silent += silent;
        self.not_completed += not_completed;
        self.unpaired += unpaired;
    }

    /// The total, then the kinds that occurred: `3 (2 vad order, 1 not completed)`.
    fn summary(&self) -> String {
        let counts = self.counts();
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let kinds: Vec<String> = counts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        if kinds.is_empty() {
            total.to_string()
        } else {
            format!("{total} ({})", kinds.join(", "))
        }
    }
}

/// A duration in whole microseconds, saturating.
pub(super) fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// How the run went, besides the sessions' own numbers.
pub(super) struct Machine {
    pub(super) wall: Duration,
    pub(super) rss_before: u64,
    pub(super) rss_mid: u64,
    pub(super) rss_after: u64,
    /// What the RSS numbers cover.
    pub(super) rss_scope: &'static str,
    /// CPU seconds of the server threads, espeak-ng and the client threads (local server only).
    pub(super) cpu: Option<(f64, f64, f64)>,
}

/// The run's parameters, for the header line.
pub(super) struct Run {
    pub(super) sessions: usize,
    pub(super) seconds: u64,
    pub(super) pace: f32,
    pub(super) silence_ms: u32,
}

/// Prints the report on stdout.
pub(super) fn print(run: &Run, mut stats: Stats, machine: &Machine) {
    let wall = machine.wall.as_secs_f64();
    println!(
        "sessions {}, {} s streamed, wall {wall:.1} s, pace {}x, silence {} ms",
        run.sessions, run.seconds, run.pace, run.silence_ms
    );
    println!(
        "events {} ({:.0}/s), turns {} started / {} stopped / {} committed, responses {} created / {} done ({} cancelled)",
        stats.events,
        stats.events as f64 / wall,
        stats.started,
        stats.stopped,
        stats.committed,
        stats.created,
        stats.done,
        stats.cancelled
    );
    println!(
        "lost {}, server errors {}, connection errors {}",
        stats.lost.summary(),
        stats.errors,
        stats.conn_errors
    );
    println!(
        "{:<14}{:>8}{:>10}{:>10}{:>10}",
        "metric", "count", "p50 ms", "p99 ms", "max ms"
    );
    for (name, v) in [
        ("vad_ack", &mut stats.vad_ack),
        ("resp_created", &mut stats.resp_created),
        ("delta_late", &mut stats.delta_late),
        ("first_audio", &mut stats.first_audio),
    ] {
        v.sort_unstable();
        println!(
            "{name:<14}{:>8}{:>10.2}{:>10.2}{:>10.2}",
            v.len(),
            percentile_ms(v, 0.5),
            percentile_ms(v, 0.99),
            percentile_ms(v, 1.0)
        );
    }
    println!(
        "RSS ({}): before {:.1} MiB, mid-run {:.1} MiB, after {:.1} MiB, per session {:.1} KiB",
        machine.rss_scope,
        machine.rss_before as f64 / 1024.0,
        machine.rss_mid as f64 / 1024.0,
        machine.rss_after as f64 / 1024.0,
        machine.rss_mid.saturating_sub(machine.rss_before) as f64 / run.sessions.max(1) as f64
    );
    if let Some((server, espeak, client)) = machine.cpu {
        println!(
            "CPU: server threads {server:.1} s ({:.0}% of a core), espeak-ng {espeak:.1} s, client threads {client:.1} s ({:.0}%)",
            100.0 * server / wall,
            100.0 * client / wall
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("loadavg {}", load.trim());
}

/// The `p` quantile of microsecond samples, in ms (NaN when there are none).
pub(super) fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

/// VmRSS in KiB of `pid`, or of this process (0 where /proc does not tell).
pub(super) fn rss_kib(pid: Option<u32>) -> u64 {
    let path = pid.map_or_else(
        || "/proc/self/status".to_owned(),
        |p| format!("/proc/{p}/status"),
    );
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU seconds (user + system) used so far by this process's threads whose name starts with
/// `prefix` (the runtimes name theirs `server` and `client`; spawn_blocking threads inherit it).
pub(super) fn cpu_seconds(prefix: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let mut ticks = 0u64;
    for task in tasks.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        ticks += utime_stime(&stat, [11, 12]);
    }
    ticks as f64 / 100.0
}

/// CPU seconds of this process's waited-for children (the espeak-ng runs).
pub(super) fn children_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // cutime and cstime, fields 16 and 17 of the whole line.
    utime_stime(&stat, [13, 14]) as f64 / 100.0
}

/// The sum of two tick fields of a `/proc/.../stat` line, counted after the parenthesised name.
fn utime_stime(stat: &str, fields: [usize; 2]) -> u64 {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let values: Vec<&str> = rest.split_whitespace().collect();
    fields
        .iter()
        .filter_map(|i| values.get(*i).and_then(|f| f.parse::<u64>().ok()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_events_are_summed_and_named_by_kind() {
        assert_eq!(Lost::default().summary(), "0");
        let mut lost = Lost {
            vad_order: 2,
            ..Lost::default()
        };
        lost.merge(Lost {
            vad_order: 1,
            not_completed: 1,
            ..Lost::default()
        });
        assert_eq!(lost.summary(), "4 (3 vad order, 1 not completed)");
    }
}
