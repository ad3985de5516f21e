// Package taint models Kubernetes node taints and pod tolerations: the lean
// structs nodesim uses in place of k8s.io/api's, the matching rules, the
// kubectl text form, API validation, and the tolerations that the API server
// and the DaemonSet controller add to pods.
//
// # Model
//
// A [Taint] sits on a node and has a key, an optional value and an [Effect]:
// [NoSchedule] keeps new pods off, [PreferNoSchedule] asks the scheduler to
// avoid the node, [NoExecute] also evicts running pods. A [Toleration] sits on
// a pod; [Toleration.ToleratesTaint] decides whether it tolerates a taint by
// effect (empty matches all), key (empty matches all) and an [Operator]
// relating the two values: Equal (the default), Exists, and the numeric Lt and
// Gt, which only match when the caller passes comparisonOperators = true, the
// state of the TaintTolerationComparisonOperators feature gate (alpha in 1.35,
// off by default). Matching never allocates.
//
// For NoExecute taints, [Toleration.TolerationSeconds] says how long a pod may
// stay: nil is forever, zero or negative is not at all. The taint eviction
// controller takes, for each NoExecute taint, the first toleration that
// tolerates it ([GetMatchingTolerations]); if some taint is not tolerated the
// pod goes at once, otherwise after [MinTolerationTime] of the tolerations
// used. The scheduler's filter asks [FindUntoleratedTaint].
//
// Pods get tolerations they did not ask for in two places, both modelled
// here: the DefaultTolerationSeconds admission plugin
// ([AddDefaultTolerationSeconds]) gives every pod 300 s tolerations for the
// not-ready and unreachable NoExecute taints unless it already has a
// toleration covering them, and the DaemonSet controller
// ([DaemonSetTolerations]) gives its pods tolerate-forever tolerations for
// node problems.
//
// Taints print and parse in kubectl's form, key=value:Effect ([Taint.String],
// [Parse]); [Taint.Validate] and [Toleration.Validate] apply the API server's
// rules and return errors that name the field and say what is allowed.
// Taint.TimeAdded is virtual time since the scenario started; it takes no part
// in matching, printing or parsing.
//
// The package has no dependencies beyond the standard library and imports
// nothing from k8s.io: conversion from real API objects happens at the
// scenario edge.
//
// # Upstream files followed
//
//   - staging/src/k8s.io/api/core/v1/toleration.go (ToleratesTaint,
//     MatchToleration, Lt/Gt parsing via apimachinery content.IsDecimalInteger)
//   - staging/src/k8s.io/api/core/v1/taint.go (MatchTaint, ToString)
//   - staging/src/k8s.io/api/core/v1/well_known_taints.go (keys)
//   - staging/src/k8s.io/component-helpers/scheduling/corev1/helpers.go
//     (TolerationsTolerateTaint, FindMatchingUntoleratedTaint)
//   - pkg/apis/core/v1/helper/helpers.go (GetMatchingTolerations,
//     AddOrUpdateTolerationInPodSpec)
//   - pkg/controller/tainteviction/taint_eviction.go (getMinTolerationTime
//     and how processPodOnNode reads its result)
//   - plugin/pkg/admission/defaulttolerationseconds/admission.go
//   - pkg/controller/daemon/util/daemonset_util.go
//     (AddOrUpdateDaemonPodTolerations)
//   - pkg/apis/core/validation/validation.go (validateNodeTaints,
//     ValidateTolerations, validateTaintEffect) and apimachinery's
//     IsQualifiedName / IsValidLabelValue
//   - staging/src/k8s.io/kubectl/pkg/cmd/taint (the key=value:Effect form)
//
// # Choices where upstream leaves room
//
//   - [Toleration.Validate] validates with the comparison-operator gate on
//     (Lt/Gt accepted, value must be a canonical decimal int64, the same rule
//     the matcher applies); [Toleration.ValidateWithGate] takes the gate.
//   - [Parse] requires an effect: kubectl's bare "key" form only exists for
//     removing taints.
//   - [MinTolerationTime] keeps upstream's overflow behaviour and its answer
//     for an empty list (evict at once); see its documentation.
package taint
