package spec

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultKubernetesVersion is the version a file without kubernetesVersion gets.
const DefaultKubernetesVersion = "1.37"

// kube-controller-manager's client rate limit in every supported version (--kube-api-qps,
// --kube-api-burst; pkg/controller/apis/config/v1alpha1/defaults.go, v1.31.0 and v1.37.2).
const (
	DefaultKubeAPIQPS   = 20
	DefaultKubeAPIBurst = 30
)

// versions are the supported Kubernetes minor versions, oldest first.
var versions = []string{"1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"}

// Versions returns the supported kubernetesVersion values, oldest first.
func Versions() []string { return slices.Clone(versions) }

// Profile returns every default of a Kubernetes version: what a cluster of that
// version runs with when nothing is configured. Sources (docs/upstream-semantics.md §0,
// §0a):
//
//   - kube-controller-manager (pkg/controller/nodelifecycle/config/v1alpha1/defaults.go,
//     cmd/kube-controller-manager/app/options): nodeMonitorPeriod 5s,
//     nodeMonitorGracePeriod 40s in 1.31 and 50s from 1.32 (PR #126287),
//     nodeStartupGracePeriod 60s, nodeEvictionRate 0.1, secondaryNodeEvictionRate
//     0.01, largeClusterSizeThreshold 50, unhealthyZoneThreshold 0.55,
//     terminatedPodGCThreshold 12500, kubeAPIQPS 20 and kubeAPIBurst 30
//     (pkg/controller/apis/config/v1alpha1/defaults.go), one instance, leader election 15s/10s/2s
//     (k8s.io/component-base/config/v1alpha1/defaults.go);
//   - kube-apiserver: --default-not-ready-toleration-seconds and
//     --default-unreachable-toleration-seconds 300;
//   - kubelet (pkg/kubelet/apis/config/v1beta1/defaults.go): registerNode true, no
//     registerWithTaints, nodeStatusUpdateFrequency 10s, nodeStatusReportFrequency 5m,
//     nodeLeaseDurationSeconds 40, shutdownGracePeriod and
//     shutdownGracePeriodCriticalPods 0s (graceful shutdown off), maxPods 110.
//
// The error names the supported versions when version is not one of them.
func Profile(version string) (ControllerManager, APIServer, Kubelet, error) {
	if !slices.Contains(versions, version) {
		return ControllerManager{}, APIServer{}, Kubelet{}, fmt.Errorf("unsupported Kubernetes version %q; allowed: %s", version, strings.Join(versions, ", "))
	}
	grace := 50 * time.Second
	if version == "1.31" {
		grace = 40 * time.Second
	}
	cm := ControllerManager{
		NodeMonitorPeriod:         5 * time.Second,
		NodeMonitorGracePeriod:    grace,
		NodeStartupGracePeriod:    60 * time.Second,
		NodeEvictionRate:          0.1,
		SecondaryNodeEvictionRate: 0.01,
		LargeClusterSizeThreshold: 50,
		UnhealthyZoneThreshold:    0.55,
		TerminatedPodGCThreshold:  12500,
		KubeAPIQPS:                DefaultKubeAPIQPS,
		KubeAPIBurst:              DefaultKubeAPIBurst,
		Instances:                 1,
		LeaderElection: LeaderElection{
			LeaseDuration: 15 * time.Second,
			RenewDeadline: 10 * time.Second,
			RetryPeriod:   2 * time.Second,
		},
	}
	api := APIServer{
		DefaultNotReadyTolerationSeconds:    300,
		DefaultUnreachableTolerationSeconds: 300,
	}
	kl := Kubelet{
		RegisterNode:              true,
		NodeStatusUpdateFrequency: 10 * time.Second,
		NodeStatusReportFrequency: 5 * time.Minute,
		NodeLeaseDurationSeconds:  40,
		MaxPods:                   110,
	}
	return cm, api, kl, nil
}

// comparisonOperators reports whether this version has the
// TaintTolerationComparisonOperators feature gate (KEP-5471: alpha from 1.35, off by
// default in 1.35–1.37), which lets tolerations use the Lt and Gt operators.
func comparisonOperators(version string) bool {
	i := slices.Index(versions, version)
	return i >= slices.Index(versions, "1.35")
}

// mergesMatchLabelKeys reports whether the API server merges a pod's own values of
// its topology spread constraints' matchLabelKeys into their labelSelector when the
// pod is created, and validates the merged selector
// (MatchLabelKeysInPodTopologySpreadSelectorMerge, beta and on from 1.34;
// pkg/registry/core/pod/strategy.go mutateTopologySpreadConstraints).
func mergesMatchLabelKeys(version string) bool {
	return slices.Index(versions, version) >= slices.Index(versions, "1.34")
}
