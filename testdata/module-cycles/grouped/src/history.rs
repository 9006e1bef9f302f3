use crate::{
    state::{Phase, State as Current},
};

pub(crate) struct History(Current, Phase);
