//! Exit codes and the one error type of the command.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | done |
//! | 1 | the service reported an error, a response failed, no reply came, `send` was interrupted, or `inspect --strict` found problems |
//! | 2 | usage or input-file error (bad option, missing or unsupported file, bad URL) |
//! | 3 | connection or authentication failure (unreachable host, refused key, port in use, a connection lost or closed by the server mid-session) |
//!
//! Every failure is printed the same way by the [`Printer`](crate::printer::Printer):
//! `error: <one line>`, one `Caused by: <source>` line per underlying error, then `hint: <what to
//! do>`. Messages never contain an API key: keys live in [`rtclient::Secret`] and URLs are printed
//! redacted.

use std::process::ExitCode;

/// How the command ended, as a process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 0: done.
    Success,
    /// 1: the service reported an error or a turn failed (or strict inspection failed).
    Failure,
    /// 2: usage or input-file error.
    Usage,
    /// 3: connection or authentication failure.
    Connection,
}

impl Status {
    /// The numeric exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Usage => 2,
            Status::Connection => 3,
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status.code())
    }
}

/// A failure to report to the user: what we were doing, why it failed, and what to do.
#[derive(Debug)]
pub(crate) struct CliError {
    /// The exit status it ends the command with.
    pub(crate) status: Status,
    /// One line saying what failed.
    pub(crate) message: String,
    /// The chain of underlying causes, outermost first.
    pub(crate) causes: Vec<String>,
    /// What to do about it.
    pub(crate) hint: Option<String>,
}

impl CliError {
    /// A failure with `status` and a one-line `message`.
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            causes: Vec::new(),
            hint: None,
        }
    }

    /// A usage or input-file error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Status::Usage, message)
    }

    /// A connection or authentication failure (exit 3).
    pub(crate) fn connection(message: impl Into<String>) -> Self {
        Self::new(Status::Connection, message)
    }

    /// A failure reported by the service, a failed turn or failed check (exit 1).
    pub(crate) fn failure(message: impl Into<String>) -> Self {
        Self::new(Status::Failure, message)
    }

    /// Adds `error` and its whole `source()` chain as causes.
    pub(crate) fn caused_by(mut self, error: &(dyn std::error::Error + 'static)) -> Self {
        let mut next = Some(error);
        while let Some(error) = next {
            let text = error.to_string();
            if self.causes.last() != Some(&text) {
                self.causes.push(text);
            }
            next = error.source();
        }
        self
    }

    /// Sets the hint line.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the hint line when there is one.
    pub(crate) fn maybe_hint(mut self, hint: Option<impl Into<String>>) -> Self {
        if let Some(hint) = hint {
            self.hint = Some(hint.into());
        }
        self
    }
}

/// Whether a connect failure is a TLS certificate that was not accepted.
fn is_certificate_error(source: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source);
    while let Some(error) = cause {
        if error.to_string().contains("invalid peer certificate") {
            return true;
        }
        cause = error.source();
    }
    false
}

impl From<rtclient::Error> for CliError {
    /// Sorts a client error: bad configuration is a usage error, everything else is a
    /// connection or authentication failure.
    fn from(error: rtclient::Error) -> Self {
        use rtclient::Error as E;
        let status = match &error {
            E::InvalidUrl { .. } | E::MissingEnv { .. } | E::InvalidHeaderValue { .. } => {
                Status::Usage
            }
            _ => Status::Connection,
        };
        let hint = error.hint().map(str::to_owned).or_else(|| match &error {
            E::Connect { source, .. } if is_certificate_error(source.as_ref()) => Some(
                "the server's TLS certificate is not trusted; for a self-signed one (e.g. \
                 rtclient serve --tls-cert) pass --ca-cert FILE"
                    .to_owned(),
            ),
            E::Connect { .. } | E::ConnectTimeout { .. } => {
                Some("check the endpoint, the network, and that the server is running".to_owned())
            }
            E::InvalidUrl { .. } => {
                Some("use a ws://, wss://, http:// or https:// URL with a host".to_owned())
            }
            _ => None,
        });
        // The client's messages end with their own hint; the hint line says it once.
        let text = error.to_string();
        let message = match error.hint() {
            Some(own) => text
                .strip_suffix(own)
                .and_then(|m| m.strip_suffix("; "))
                .unwrap_or(&text)
                .to_owned(),
            None => text,
        };
        let mut out = CliError::new(status, message);
        if let Some(source) = std::error::Error::source(&error) {
            out = out.caused_by(source);
        }
        out.maybe_hint(hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(Status::Success.code(), 0);
        assert_eq!(Status::Failure.code(), 1);
        assert_eq!(Status::Usage.code(), 2);
        assert_eq!(Status::Connection.code(), 3);
    }

    #[test]
    fn client_hint_is_said_once() {
        let error = CliError::from(rtclient::Error::Closed {
            code: 3000,
            reason: "invalid_request_error.invalid_api_key".into(),
        });
        assert_eq!(error.status, Status::Connection);
        assert_eq!(
            error.message,
            "the server closed the connection with code 3000 (invalid_request_error.invalid_api_key)"
        );
        assert_eq!(
            error.hint.as_deref(),
            Some("authentication failed; check the API key or token")
        );
    }

    #[test]
    fn chain_is_collected() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let error = CliError::usage("cannot read x")
            .caused_by(&io)
            .hint("check");
        assert_eq!(error.causes, vec!["gone".to_owned()]);
        assert_eq!(error.hint.as_deref(), Some("check"));
    }
}
