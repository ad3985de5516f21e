// Package lease is the kubelet's node-lease controller.
package lease
