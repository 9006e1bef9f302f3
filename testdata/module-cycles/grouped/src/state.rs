use super::{history::History};

pub(crate) struct State(Option<Box<History>>);
pub(crate) struct Phase;
