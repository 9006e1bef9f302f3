//! A crate whose two modules depend on each other only through grouped imports:
//! `scripts/module-cycles` must find the cycle.

mod history;
mod state;
