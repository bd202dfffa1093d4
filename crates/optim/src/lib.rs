//! tapegrad-optim (in progress).
