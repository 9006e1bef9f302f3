//! ONNX Runtime loads from the models folder and opens the installed models.

use rtclient_server::onnx;
use rtclient_server::{MOONSHINE_DECODER, MOONSHINE_ENCODER, SILERO_VAD_MODEL, SMART_TURN_MODEL};

use crate::testutil::models;

#[test]
fn every_onnx_model_opens_on_the_installed_runtime() {
    let models = models();
    for model in [
        SILERO_VAD_MODEL,
        MOONSHINE_ENCODER,
        MOONSHINE_DECODER,
        SMART_TURN_MODEL,
    ] {
        let session = onnx::session(&models, model).unwrap_or_else(|error| panic!("{error}"));
        assert!(!session.inputs().is_empty(), "{model} has no inputs");
        assert!(!session.outputs().is_empty(), "{model} has no outputs");
    }
}

#[test]
fn a_model_outside_the_folder_is_reported_missing() {
    let empty = tempfile::tempdir().unwrap();
    let elsewhere = rtclient_server::ModelsDir::new(empty.path());
    // The runtime is loaded from the real folder first, so only the model is missing here.
    onnx::environment(&models()).unwrap_or_else(|error| panic!("{error}"));
    let error = onnx::session(&elsewhere, SILERO_VAD_MODEL).unwrap_err();
    assert!(
        error.to_string().contains("run scripts/install-engines"),
        "{error}"
    );
}
