// Package node holds the node-side and node-health components of nodesim: the kubelet
// (node/kubelet) and the node lifecycle controller (node/nodelifecycle).
package node
