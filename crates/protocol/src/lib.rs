//! Typed, lossless events of the OpenAI / Azure OpenAI Realtime API.
