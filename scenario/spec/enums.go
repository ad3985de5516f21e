package spec

import (
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// This file checks the enum-valued fields of manifests that the API server checks
// (pkg/apis/core/validation and pkg/apis/apps/validation, the same in v1.31.0, v1.33.0
// and v1.37.2): a value outside the list is rejected with the list. An empty value is
// what upstream's defaulting fills in (ClusterFirst, IfNotPresent, File, TCP, HTTP,
// RollingUpdate, …), so it is accepted. Fields behind feature gates are not checked:
// with the gate off the API server drops them without validating them.

// The values the API server accepts.
var (
	dnsPolicies                = []string{string(corev1.DNSClusterFirstWithHostNet), string(corev1.DNSClusterFirst), string(corev1.DNSDefault), string(corev1.DNSNone)}
	pullPolicies               = []string{string(corev1.PullAlways), string(corev1.PullIfNotPresent), string(corev1.PullNever)}
	preemptionPolicies         = []string{string(corev1.PreemptLowerPriority), string(corev1.PreemptNever)}
	terminationMessagePolicies = []string{string(corev1.TerminationMessageReadFile), string(corev1.TerminationMessageFallbackToLogsOnError)}
	portProtocols              = []string{string(corev1.ProtocolSCTP), string(corev1.ProtocolTCP), string(corev1.ProtocolUDP)}
	uriSchemes                 = []string{string(corev1.URISchemeHTTP), string(corev1.URISchemeHTTPS)}
	hostPathTypes              = []string{"", string(corev1.HostPathBlockDev), string(corev1.HostPathCharDev), string(corev1.HostPathDirectory), string(corev1.HostPathDirectoryOrCreate), string(corev1.HostPathFile), string(corev1.HostPathFileOrCreate), string(corev1.HostPathSocket)}
	osNames                    = []string{string(corev1.Linux), string(corev1.Windows)}
	daemonSetStrategies        = []string{string(appsv1.RollingUpdateDaemonSetStrategyType), string(appsv1.OnDeleteDaemonSetStrategyType)}
)

// enum reports value (at fpath) unless it is empty or one of allowed.
func (c *objCheck) enum(fpath, what, value string, allowed []string) {
	if value == "" || slices.Contains(allowed, value) {
		return
	}
	list := strings.Join(allowed, ", ")
	if allowed[0] == "" { // "" is a listed value (hostPath type)
		list = `"" (no check), ` + strings.Join(allowed[1:], ", ")
	}
	c.fail(fpath, list, "unsupported %s %q", what, value)
}

// podEnums checks the enum-valued fields of a pod spec (at is "spec" or
// "spec.template.spec").
func (c *objCheck) podEnums(s *corev1.PodSpec, at string) {
	c.enum(at+".dnsPolicy", "dnsPolicy", string(s.DNSPolicy), dnsPolicies)
	if s.DNSPolicy == corev1.DNSNone { // validatePodDNSConfig
		switch {
		case s.DNSConfig == nil:
			c.failAt(at+".dnsPolicy", at+".dnsConfig", "dnsConfig with at least one nameserver", "must provide `dnsConfig` when `dnsPolicy` is None")
		case len(s.DNSConfig.Nameservers) == 0:
			c.fail(at+".dnsConfig.nameservers", "at least one nameserver", "must provide at least one DNS nameserver when `dnsPolicy` is None")
		}
	}
	if p := s.PreemptionPolicy; p != nil && *p != corev1.PreemptLowerPriority {
		// The priority admission plugin computes the policy from the PriorityClass and
		// refuses a pod that states another; every class nodesim knows (none, or a
		// built-in one) preempts. A workload's template is accepted upstream, but the
		// pods its controller creates are refused, which is not modelled.
		const allowed = "unset, or PreemptLowerPriority (from priorityClassName)"
		if !slices.Contains(preemptionPolicies, string(*p)) {
			c.fail(at+".preemptionPolicy", allowed, "unsupported preemptionPolicy %q (the API server knows %s)", *p, strings.Join(preemptionPolicies, ", "))
		} else {
			c.fail(at+".preemptionPolicy", allowed, "the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission computes PreemptLowerPriority from the PriorityClass (PriorityClass objects, which could say Never, are not supported)", *p)
		}
	}
	if s.OS != nil {
		if s.OS.Name == "" {
			c.fail(at+".os.name", strings.Join(osNames, ", "), "missing name")
		} else {
			c.enum(at+".os.name", "os", string(s.OS.Name), osNames)
		}
	}
	for i, v := range s.Volumes {
		if v.HostPath != nil && v.HostPath.Type != nil {
			c.enum(index(at+".volumes", i)+".hostPath.type", "hostPath type", string(*v.HostPath.Type), hostPathTypes)
		}
	}
	eachContainer(s, at, func(ca string, ctr *corev1.Container) {
		c.enum(ca+".imagePullPolicy", "imagePullPolicy", string(ctr.ImagePullPolicy), pullPolicies)
		c.enum(ca+".terminationMessagePolicy", "terminationMessagePolicy", string(ctr.TerminationMessagePolicy), terminationMessagePolicies)
		for j, port := range ctr.Ports {
			c.enum(index(ca+".ports", j)+".protocol", "protocol", string(port.Protocol), portProtocols)
		}
		for _, pr := range []struct {
			field string
			probe *corev1.Probe
		}{{"livenessProbe", ctr.LivenessProbe}, {"readinessProbe", ctr.ReadinessProbe}, {"startupProbe", ctr.StartupProbe}} {
			if pr.probe != nil && pr.probe.HTTPGet != nil {
				c.enum(ca+"."+pr.field+".httpGet.scheme", "scheme", string(pr.probe.HTTPGet.Scheme), uriSchemes)
			}
		}
		if l := ctr.Lifecycle; l != nil {
			for _, h := range []struct {
				field   string
				handler *corev1.LifecycleHandler
			}{{"postStart", l.PostStart}, {"preStop", l.PreStop}} {
				if h.handler != nil && h.handler.HTTPGet != nil {
					c.enum(ca+".lifecycle."+h.field+".httpGet.scheme", "scheme", string(h.handler.HTTPGet.Scheme), uriSchemes)
				}
			}
		}
	})
}

// deploymentStrategy checks a Deployment's strategy as ValidateDeploymentStrategy does,
// after upstream's defaulting (RollingUpdate, maxUnavailable and maxSurge 25%).
func (c *objCheck) deploymentStrategy(st appsv1.DeploymentStrategy) {
	switch st.Type {
	case "", appsv1.RollingUpdateDeploymentStrategyType:
		quarter := intstr.FromString("25%")
		maxUnavailable, maxSurge := quarter, quarter
		if ru := st.RollingUpdate; ru != nil {
			if ru.MaxUnavailable != nil {
				maxUnavailable = *ru.MaxUnavailable
			}
			if ru.MaxSurge != nil {
				maxSurge = *ru.MaxSurge
			}
		}
		const path = "spec.strategy.rollingUpdate"
		u, uok := c.intOrPercent(maxUnavailable, path+".maxUnavailable", true)
		s, sok := c.intOrPercent(maxSurge, path+".maxSurge", false)
		if uok && sok && u == 0 && s == 0 {
			c.fail(path+".maxUnavailable", "a value > 0 when maxSurge is 0", "may not be 0 when `maxSurge` is 0")
		}
	case appsv1.RecreateDeploymentStrategyType:
		if st.RollingUpdate != nil {
			c.fail("spec.strategy.rollingUpdate", "no rollingUpdate with type Recreate", "may not be specified when strategy type is 'Recreate'")
		}
	default:
		c.fail("spec.strategy.type", "RollingUpdate, Recreate", "unsupported strategy type %q", st.Type)
	}
}

// daemonSetStrategy checks a DaemonSet's updateStrategy as
// ValidateDaemonSetUpdateStrategy does, after upstream's defaulting (RollingUpdate,
// maxUnavailable 1, maxSurge 0).
func (c *objCheck) daemonSetStrategy(st appsv1.DaemonSetUpdateStrategy) {
	switch st.Type {
	case "", appsv1.RollingUpdateDaemonSetStrategyType:
		maxUnavailable, maxSurge := intstr.FromInt32(1), intstr.FromInt32(0)
		if ru := st.RollingUpdate; ru != nil {
			if ru.MaxUnavailable != nil {
				maxUnavailable = *ru.MaxUnavailable
			}
			if ru.MaxSurge != nil {
				maxSurge = *ru.MaxSurge
			}
		}
		const path = "spec.updateStrategy.rollingUpdate"
		u, uok := c.intOrPercent(maxUnavailable, path+".maxUnavailable", true)
		s, sok := c.intOrPercent(maxSurge, path+".maxSurge", true)
		switch {
		case !uok || !sok:
		case u != 0 && s != 0:
			c.fail(path+".maxSurge", "0 when maxUnavailable is non-zero (maxUnavailable defaults to 1)", "may not be set when maxUnavailable is non-zero")
		case u == 0 && s == 0:
			c.fail(path+".maxUnavailable", "a value > 0 when maxSurge is 0", "cannot be 0 when maxSurge is 0")
		}
	case appsv1.OnDeleteDaemonSetStrategyType:
	default:
		c.enum("spec.updateStrategy.type", "updateStrategy type", string(st.Type), daemonSetStrategies)
	}
}

// intOrPercent checks a rolling update's maxUnavailable or maxSurge as
// ValidatePositiveIntOrPercent (and, when atMost100, IsNotMoreThan100Percent) do, and
// returns its value (a percentage's number).
func (c *objCheck) intOrPercent(v intstr.IntOrString, fpath string, atMost100 bool) (int, bool) {
	allowed := `an integer ≥ 0 or a percentage such as "25%"`
	if atMost100 {
		allowed = `an integer ≥ 0 or a percentage from "0%" to "100%"`
	}
	switch v.Type {
	case intstr.String:
		if msgs := validation.IsValidPercent(v.StrVal); len(msgs) > 0 {
			c.fail(fpath, allowed, "invalid value %q: %s", v.StrVal, strings.Join(msgs, "; "))
			return 0, false
		}
		// upstream's getPercentValue: a number too large for an int reads as 0
		pct, _ := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
		if atMost100 && pct > 100 {
			c.fail(fpath, allowed, "invalid value %q: must not be greater than 100%%", v.StrVal)
			return 0, false
		}
		return pct, true
	default:
		if v.IntVal < 0 {
			c.fail(fpath, allowed, "negative value %d", v.IntVal)
			return 0, false
		}
		return int(v.IntVal), true
	}
}
