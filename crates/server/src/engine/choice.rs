//! How a start-up flag picks an engine of a family: the family's choice enum (made by
//! [`choices!`]) names its engines, each real engine has a [`Loader`] beside it, and [`choose`]
//! loads the one asked for, falls back when it cannot start, and words the line that says which
//! engine runs and why.

use std::error::Error;

use crate::engine::models::{ModelFile, ModelsDir};

/// An engine that was chosen, and the line that says which it is and why.
#[derive(Clone)]
pub struct Chosen<E> {
    /// The engine (`None` for an optional engine that is not used).
    pub engine: E,
    /// E.g. "speech: espeak-ng, because the Piper voice is unavailable: ...".
    pub report: String,
}

impl<E> std::fmt::Debug for Chosen<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chosen")
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

/// Why an engine cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// This build leaves the engine out: it was built without the cargo feature it needs.
    #[error(
        "this build has no {what} (built without the `{feature}` feature{})",
        .hint.map(|hint| format!("; {hint}")).unwrap_or_default()
    )]
    NotBuilt {
        /// What the build lacks, e.g. "ONNX Runtime".
        what: &'static str,
        /// The cargo feature that brings it.
        feature: &'static str,
        /// What to do to get it, when there is more to say than the feature.
        hint: Option<&'static str>,
    },
    /// The engine failed to load: its files are missing or broken, or its runtime failed.
    #[error(transparent)]
    Engine(Box<dyn Error + Send + Sync>),
}

impl LoadError {
    /// Why an ONNX Runtime engine cannot start in a build without the `onnx` feature.
    #[cfg(not(feature = "onnx"))]
    pub(crate) const NO_ONNX: LoadError = LoadError::NotBuilt {
        what: "ONNX Runtime",
        feature: "onnx",
        hint: None,
    };
}

/// A real engine of a family, as its choice enum names it: how reports name it, the files it
/// needs, how it loads, and what is tried when it cannot start.
pub(crate) struct Loader<E: 'static> {
    /// Its name in the reasons a report gives, e.g. "Moonshine" or "the Piper voice".
    pub(crate) name: &'static str,
    /// What a report says after its name when it fails: "cannot start" or "is unavailable".
    pub(crate) fails: &'static str,
    /// What a report says runs when it does, e.g. "Silero VAD v6".
    pub(crate) runs: &'static str,
    /// The files it needs from the models folder. The engine requires them itself as it loads;
    /// this list is what a test checks `scripts/install-engines` against.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) files: &'static [ModelFile],
    /// Loads it, or says that this build leaves it out.
    pub(crate) load: fn(&ModelsDir) -> Result<E, LoadError>,
    /// The engine tried next when this one cannot start; `None`: the family's built-in one.
    pub(crate) fallback: Option<&'static Loader<E>>,
}

/// A family's built-in engine: it needs no files, so it runs when the flag asks for it and when
/// no real engine can start.
pub(crate) struct BuiltIn<E> {
    /// What a report says runs, e.g. "earshot".
    pub(crate) runs: &'static str,
    /// What a report adds when the flag asked for it, e.g. " (--vad earshot)".
    pub(crate) asked: &'static str,
    /// What a report adds when it runs because no real engine could start.
    pub(crate) fallen_back: &'static str,
    /// Makes it.
    pub(crate) make: fn() -> E,
}

/// The engine `asked` names (`None`: the built-in one), else the first of its fallbacks that
/// loads from `models`, else `built_in`, with the report line "`family`: what runs", followed
/// by why the engines before it could not start.
pub(crate) fn choose<E>(
    family: &str,
    asked: Option<&'static Loader<E>>,
    built_in: &BuiltIn<E>,
    models: &ModelsDir,
) -> Chosen<E> {
    let Some(first) = asked else {
        return Chosen {
            engine: (built_in.make)(),
            report: format!("{family}: {}{}", built_in.runs, built_in.asked),
        };
    };
    let mut failed = Vec::new();
    let mut next = Some(first);
    while let Some(loader) = next {
        match (loader.load)(models) {
            Ok(engine) if failed.is_empty() => {
                return Chosen {
                    engine,
                    report: format!("{family}: {}", loader.runs),
                };
            }
            Ok(engine) => {
                return Chosen {
                    engine,
                    report: format!("{family}: {}, because {}", loader.runs, reasons(&failed)),
                };
            }
            Err(error) => {
                next = loader.fallback;
                failed.push((loader, error));
            }
        }
    }
    Chosen {
        engine: (built_in.make)(),
        report: format!(
            "{family}: {}, because {}{}",
            built_in.runs,
            reasons(&failed),
            built_in.fallen_back
        ),
    }
}

/// Why each engine tried could not start, in order: "Whisper cannot start: ...; nor
/// Moonshine: ...".
fn reasons<E>(failed: &[(&Loader<E>, LoadError)]) -> String {
    let mut reasons = Vec::with_capacity(failed.len());
    for (tried, (loader, error)) in failed.iter().enumerate() {
        reasons.push(if tried == 0 {
            format!("{} {}: {error}", loader.name, loader.fails)
        } else {
            format!("nor {}: {error}", loader.name)
        });
    }
    reasons.join("; ")
}

/// A family's choice enum: one variant per engine its flag can name, each with its help text
/// (the doc comment, shown by `--help` through `clap::ValueEnum` with the `clap` feature) and
/// the [`Loader`] of the engine it names (`None` for the family's built-in engine).
macro_rules! choices {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $engine:ty {
            $($(#[$variant_meta:meta])* $variant:ident => $loader:expr,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        #[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)*
        }

        impl $name {
            /// Every choice, in the order the flag lists them.
            #[cfg(test)]
            pub(crate) const ALL: &[$name] = &[$($name::$variant),*];

            /// The loader of the engine this names; `None` for the family's built-in one.
            pub(crate) fn loader(self) -> Option<&'static $crate::engine::choice::Loader<$engine>> {
                match self {
                    $($name::$variant => $loader,)*
                }
            }
        }
    };
}

pub(crate) use choices;
