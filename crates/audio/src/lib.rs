//! Audio files to Realtime wire audio and back.
