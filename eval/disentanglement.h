// Disentanglement metrics of a learned representation against ground-truth factors of variation,
// as disentanglement_lib (Locatello et al. 2019, "Challenging Common Assumptions in the
// Unsupervised Learning of Disentangled Representations") defines them: MIG (mig.h), DCI
// (dci.h, gradient_boosting.h), the FactorVAE score (factor_vae.h) and SAP (sap.h); their shared
// estimators and conventions in stats/information.h.
// Plain C++: no LibTorch, no OpenCV, no scikit-learn; where disentanglement_lib calls scikit-learn
// each metric's header says what is done instead.
#pragma once

#include "eval/dci.h"
#include "eval/factor_vae.h"
#include "eval/mig.h"
#include "stats/information.h"
