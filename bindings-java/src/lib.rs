//! JNI bindings for the imds client (being written).
