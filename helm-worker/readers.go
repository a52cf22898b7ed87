package main

import (
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/statusreaders"
	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"helm.sh/helm/v4/pkg/kube"
)

// kstatus's default readers for Deployments, StatefulSets and ReplicaSets list
// the ReplicaSets and Pods they own on every event, only to attach them to the
// result: the status itself is status.Compute of the object alone (cli-utils
// statusreaders/deployment.go says so). Two LISTs per status event were half
// of the API requests of an upgrade, and decoding them a good part of the
// worker's CPU. These read the object alone: the same verdict, same messages.
var ownStatusKinds = map[schema.GroupKind]bool{
	{Group: "apps", Kind: "Deployment"}:  true,
	{Group: "apps", Kind: "StatefulSet"}: true,
	{Group: "apps", Kind: "ReplicaSet"}:  true,
}

type ownStatusReader struct {
	engine.StatusReader
}

func (ownStatusReader) Supports(gk schema.GroupKind) bool { return ownStatusKinds[gk] }

func ownStatusReaders(mapper meta.RESTMapper) []engine.StatusReader {
	return []engine.StatusReader{ownStatusReader{statusreaders.NewGenericStatusReader(mapper, status.Compute)}}
}

// leanWaiter waits as Helm's status watcher does, with ownStatusReaders for
// Wait and WaitWithJobs. Hooks (WatchUntilReady) and deletions keep Helm's
// own waiter: a hook Deployment is never waited for there, and must stay so.
type leanWaiter struct {
	kube.Waiter
	lean kube.Waiter
}

func (w *leanWaiter) Wait(resources kube.ResourceList, timeout time.Duration) error {
	return w.lean.Wait(resources, timeout)
}

func (w *leanWaiter) WaitWithJobs(resources kube.ResourceList, timeout time.Duration) error {
	return w.lean.WaitWithJobs(resources, timeout)
}
