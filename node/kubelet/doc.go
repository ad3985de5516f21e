// Package kubelet is nodesim's kubelet: one per node. (Full documentation below.)
package kubelet
