package main

import (
	"reflect"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	ri "helm.sh/helm/v4/pkg/release"
	"helm.sh/helm/v4/pkg/release/common"
	"helm.sh/helm/v4/pkg/storage"
)

// An upgrade's storage calls, in Helm's order, through Helm's storage over
// the cache and over the API directly: the same answers, one LIST instead of four.
func TestReleaseListCacheAnswersAnUpgradeFromOneList(t *testing.T) {
	type answers struct {
		history, deployed []string
		last               string
		after              []string
	}
	run := func(cached bool) (answers, int) {
		client := fake.NewClientset()
		api := client.CoreV1().Secrets("shop")
		seed := storage.Init(newDefaultLevelSecrets(api))
		for v, st := range []common.Status{common.StatusSuperseded, common.StatusDeployed} {
			if err := seed.Create(sampleRelease(v+1, st)); err != nil {
				t.Fatal(err)
			}
		}
		client.ClearActions()
		d := newDefaultLevelSecrets(api)
		if cached {
			d = newDefaultLevelSecrets(newReleaseListCache(api))
		}
		s := storage.Init(d)
		s.MaxHistory = 2
		var a answers
		hist, err := s.History("shop-api")
		if err != nil {
			t.Fatal(err)
		}
		a.history = describe(hist)
		last, err := s.Last("shop-api")
		if err != nil {
			t.Fatal(err)
		}
		a.last = describe([]ri.Releaser{last})[0]
		deployed, err := s.DeployedAll("shop-api")
		if err != nil {
			t.Fatal(err)
		}
		a.deployed = describe(deployed)
		// the upgrade: revision 3 pending (pruning revision 1 first, MaxHistory 2), then 2 superseded and 3 deployed
		if err := s.Create(sampleRelease(3, common.StatusPendingUpgrade)); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(sampleRelease(2, common.StatusSuperseded)); err != nil {
			t.Fatal(err)
		}
		if err := s.Update(sampleRelease(3, common.StatusDeployed)); err != nil {
			t.Fatal(err)
		}
		after, err := s.History("shop-api")
		if err != nil {
			t.Fatal(err)
		}
		a.after = describe(after)
		if _, err := s.Deployed("shop-api"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.History("another"); err == nil {
			t.Fatal("a release never stored has a history")
		}
		lists := 0
		for _, act := range client.Actions() {
			if act.GetVerb() == "list" {
				lists++
			}
		}
		return a, lists
	}
	want, direct := run(false)
	got, cached := run(true)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("through the cache %+v, directly %+v", got, want)
	}
	if want.after[len(want.after)-1] != "3 deployed" || len(want.after) != 2 {
		t.Errorf("the upgrade left %v, want revisions 2 and 3 (1 pruned), 3 deployed", want.after)
	}
	// Helm 4.3.1 lists 8 times here; through the cache once per release asked about
	if cached != 2 || direct < 6 {
		t.Errorf("LISTs: %d direct, %d cached; want 2 cached (one per release asked about) against Helm's own 6 or more", direct, cached)
	}
}

func describe(rs []ri.Releaser) []string {
	out := []string{}
	for _, r := range rs {
		v, _ := asV1(r)
		out = append(out, v.Info.Status.String())
		out[len(out)-1] = string(rune('0'+v.Version)) + " " + out[len(out)-1]
	}
	return out
}
