//! tapegrad-nn (in progress).
