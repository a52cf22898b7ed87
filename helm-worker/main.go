// berth-helm-worker: Helm 4's SDK in one long-lived process per cluster access
// (kubeconfig, context, identity), so a release no longer costs a helm
// process: no process start, connections kept across requests, and what the
// API server validates itself learnt once (validation.go). Each request has
// its own getter, discovery and REST mapper, as a helm process would.
// Releases go to Helm's own storage (the Secrets driver), so
// `helm list/history/rollback` keep working on them.
//
// Protocol: JSON lines on stdin/stdout. The first line out is the hello
// ({"hello":{"protocol":1,"helm":"v4.3.1"}}); then every request
// {"id":N,"op":...} gets exactly one answer {"id":N,"ok":...}. Requests run
// concurrently. A request past its deadlineMs is cancelled here and answered
// {"ok":false,"code":"timeout"}; {"op":"cancel","id":N} cancels one (berth is
// stopping). On stdin's end the worker finishes what runs and exits.
// Logs go to stderr (warnings only).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"

	"helm.sh/helm/v4/pkg/action"
	ci "helm.sh/helm/v4/pkg/chart"
	chartloader "helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/kubeenv"
	ri "helm.sh/helm/v4/pkg/release"
	"helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
)

const protocol = 1

// The Helm CLI's defaults (pkg/cli/environment.go, pkg/cmd/flags.go), so the
// worker behaves as `helm upgrade --wait` does.
const (
	burstLimit           = 100
	statusComputeWorkers = 8
)

type request struct {
	ID        int64  `json:"id"`
	Op        string `json:"op"`
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	ChartDir  string `json:"chartDir"`
	// Values as JSON (JSON is YAML: read as `--values FILE` reads a file).
	Values     json.RawMessage   `json:"values"`
	Labels     map[string]string `json:"labels"`
	TimeoutMs  int64             `json:"timeoutMs"`
	DeadlineMs int64             `json:"deadlineMs"`
	MaxHistory *int              `json:"maxHistory"`
	SkipCrds   bool              `json:"skipCrds"`
	Revision   int               `json:"revision"`
	IsUpgrade  bool              `json:"isUpgrade"`
}

type response struct {
	ID     int64  `json:"id"`
	OK     bool   `json:"ok"`
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	// timeout | cancelled | invalid | failed
	Code string `json:"code,omitempty"`
	// What the request did and where its time went, in milliseconds.
	Action string             `json:"action,omitempty"`
	Phases map[string]float64 `json:"phases,omitempty"`
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type worker struct {
	getter    func() genericclioptions.RESTClientGetter
	out       *json.Encoder
	outMu     sync.Mutex
	mu        sync.Mutex
	cancels   map[int64]context.CancelFunc
	running   sync.WaitGroup
	discover  atomic.Int64 // nanoseconds spent in discovery requests, for the phases
	validates *serverValidates
}

func main() {
	var kubeconfig, kubeContext, asUser string
	var asGroups stringList
	flag.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file")
	flag.StringVar(&kubeContext, "kube-context", "", "kubeconfig context")
	flag.StringVar(&asUser, "kube-as-user", "", "act as this user (impersonation)")
	flag.Var(&asGroups, "kube-as-group", "act as this group (repeatable)")
	// The helm binary names its server-side apply manager after itself (os.Args[0]);
	// the worker takes the name of the binary it stands in for, so the two paths
	// own the same fields and drift reads them alike.
	flag.StringVar(&kube.ManagedFieldsManager, "field-manager", "helm", "server-side apply field manager")
	flag.Parse()
	// The worker holds little between requests (each builds its own getter and
	// chart): collect at half Go's default heap growth unless the operator set
	// GOGC. Measured at 40 releases, 4 at a time: 67 MiB resident instead of 76.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	// For the benchmarks: where the worker's CPU goes (go tool pprof).
	if path := os.Getenv("BERTH_HELM_WORKER_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}

	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

	w := &worker{out: json.NewEncoder(os.Stdout), cancels: map[int64]context.CancelFunc{}, validates: &serverValidates{kinds: map[schema.GroupVersionKind]bool{}}}
	version := helmVersion()
	groups := []string(asGroups)
	// A getter per request, as a helm process has: its own discovery client,
	// REST mapper and rate limiters. One shared by every request measured 1.5x
	// slower at 200 releases, 4 at a time (they queue on its discovery client,
	// invalidated by each request's capabilities); connections are still shared
	// (client-go caches transports).
	w.getter = func() genericclioptions.RESTClientGetter {
		cf := genericclioptions.NewConfigFlags(true)
		ns := ""
		cf.Namespace = &ns
		cf.KubeConfig = &kubeconfig
		cf.Context = &kubeContext
		cf.Impersonate = &asUser
		g := append([]string(nil), groups...)
		cf.ImpersonateGroup = &g
		cf.WrapConfigFn = func(c *rest.Config) *rest.Config {
			c.Burst = burstLimit
			c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
				return &timedDiscovery{next: &kubeenv.RetryingRoundTripper{Wrapped: rt}, total: &w.discover}
			})
			c.UserAgent = "Helm/" + strings.TrimPrefix(version, "v") + " berth-helm-worker"
			return c
		}
		return &memGetter{ConfigFlags: cf}
	}

	w.send(map[string]any{"hello": map[string]any{"protocol": protocol, "helm": version}})

	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-signals
		// As helm does on SIGTERM: cancel, so releases are marked failed, not left pending.
		w.cancelAll()
	}()

	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			w.handle(line)
		}
		if err != nil {
			break
		}
	}
	w.running.Wait()
}

func helmVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "helm.sh/helm/v4" {
				return d.Version
			}
		}
	}
	return "v4"
}

func (w *worker) send(v any) {
	w.outMu.Lock()
	defer w.outMu.Unlock()
	_ = w.out.Encode(v)
}

func (w *worker) cancelAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.cancels {
		c()
	}
}

func (w *worker) handle(line []byte) {
	var r request
	if err := json.Unmarshal(line, &r); err != nil {
		w.send(response{ID: r.ID, Code: "invalid", Error: fmt.Sprintf("unreadable request: %v", err)})
		return
	}
	if r.Op == "cancel" {
		w.mu.Lock()
		if c, ok := w.cancels[r.ID]; ok {
			c()
		}
		w.mu.Unlock()
		return
	}
	deadline := time.Duration(r.DeadlineMs) * time.Millisecond
	if deadline <= 0 {
		deadline = time.Duration(r.TimeoutMs)*time.Millisecond + 30*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	w.mu.Lock()
	w.cancels[r.ID] = cancel
	w.mu.Unlock()
	w.running.Add(1)
	go func() {
		defer w.running.Done()
		defer func() {
			w.mu.Lock()
			delete(w.cancels, r.ID)
			w.mu.Unlock()
			cancel()
		}()
		w.send(w.run(ctx, r))
	}()
}

// run answers one request; past the context's end it answers at once, even
// if Helm (rollback and uninstall take no context) is still finishing.
func (w *worker) run(ctx context.Context, r request) (res response) {
	res.ID = r.ID
	defer func() {
		if p := recover(); p != nil {
			res = response{ID: r.ID, Code: "failed", Error: fmt.Sprintf("helm panicked: %v", p)}
		}
	}()
	done := make(chan response, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- response{ID: r.ID, Code: "failed", Error: fmt.Sprintf("helm panicked: %v", p)}
			}
		}()
		done <- w.do(ctx, r)
	}()
	select {
	case res = <-done:
	case <-ctx.Done():
		// give an action that honours the context a moment to mark its release failed
		select {
		case res = <-done:
		case <-time.After(2 * time.Second):
			res = response{ID: r.ID}
		}
	}
	if ctx.Err() != nil && !res.OK {
		res.Code = "cancelled"
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			res.Code = "timeout"
		}
		if res.Error == "" {
			res.Error = ctx.Err().Error()
		}
	}
	return res
}

type phases struct {
	mu sync.Mutex
	ms map[string]float64
}

func (p *phases) add(name string, since time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ms[name] += float64(time.Since(since).Microseconds()) / 1000
}

func (w *worker) config(namespace string, storing bool, p *phases, ctx context.Context) (*action.Configuration, error) {
	cfg := action.NewConfiguration()
	if err := cfg.Init(w.getter(), namespace, "secret"); err != nil {
		return nil, err
	}
	kc, ok := cfg.KubeClient.(*kube.Client)
	if !ok {
		return nil, fmt.Errorf("unexpected kube client %T", cfg.KubeClient)
	}
	kc.Namespace = namespace
	// Helm's own Secrets storage, written at gzip's default level (storage.go),
	// its queries answered from one LIST per request (listcache.go). A template
	// renders client-only (Helm swaps in memory storage): it needs none.
	if storing {
		clients, err := kc.Factory.KubernetesClientSet()
		if err != nil {
			return nil, err
		}
		d := newDefaultLevelSecrets(newReleaseListCache(clients.CoreV1().Secrets(namespace)))
		d.SetLogger(cfg.Logger().Handler())
		cfg.Releases = storage.Init(d)
	}
	kc.Factory = validatingFactory{Factory: kc.Factory, known: w.validates}
	cfg.KubeClient = &timedKube{Client: kc, p: p, ctx: ctx, getter: cfg.RESTClientGetter}
	return cfg, nil
}

func (w *worker) do(ctx context.Context, r request) (res response) {
	p := &phases{ms: map[string]float64{}}
	res = response{ID: r.ID}
	start := time.Now()
	discovered := w.discover.Load()
	fail := func(code string, err error) response {
		res.Code, res.Error = code, err.Error()
		return res
	}
	timeout := time.Duration(r.TimeoutMs) * time.Millisecond
	if r.Release == "" || r.Namespace == "" {
		return fail("invalid", errors.New("release and namespace are required"))
	}
	cfg, err := w.config(r.Namespace, r.Op != "template", p, ctx)
	if err != nil {
		return fail("failed", err)
	}
	defer func() {
		p.ms["total"] = float64(time.Since(start).Microseconds()) / 1000
		// exact only when no other request ran meanwhile (the breakdown is measured one at a time)
		p.ms["discovery"] = float64((w.discover.Load()-discovered)/1000) / 1000
		res.Phases = p.ms
	}()
	maxHistory := 10
	if r.MaxHistory != nil {
		maxHistory = *r.MaxHistory
	}
	waitOpts := []kube.WaitOption{kube.WithStatusComputeWorkers(statusComputeWorkers), kube.WithWaitContext(ctx)}

	switch r.Op {
	case "upgrade", "template":
		t := time.Now()
		ch, err := chartloader.Load(r.ChartDir)
		if err != nil {
			return fail("failed", err)
		}
		ac, err := ci.NewAccessor(ch)
		if err != nil {
			return fail("failed", err)
		}
		vals, err := readValues(r.Values)
		if err != nil {
			return fail("invalid", err)
		}
		if err := installable(ac); err != nil {
			return fail("failed", err)
		}
		if req := ac.MetaDependencies(); len(req) > 0 {
			if err := action.CheckDependencies(ch, req); err != nil {
				return fail("failed", fmt.Errorf("an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: %w", err))
			}
		}
		p.add("load", t)
		if r.Op == "template" {
			return w.template(ctx, cfg, r, ch, vals, res, fail)
		}
		t = time.Now()
		hist := action.NewHistory(cfg)
		hist.Max = 1
		versions, herr := hist.Run(r.Release)
		p.add("history", t)
		if errors.Is(herr, driver.ErrReleaseNotFound) || lastUninstalled(versions) {
			res.Action = "install"
			in := action.NewInstall(cfg)
			in.ReleaseName = r.Release
			in.Namespace = r.Namespace
			in.Labels = r.Labels
			in.Timeout = timeout
			in.WaitStrategy = kube.StatusWatcherStrategy
			in.WaitOptions = waitOpts
			in.WaitForJobs = true
			in.SkipCRDs = r.SkipCrds
			in.ForceConflicts = true
			in.ServerSideApply = true
			in.Replace = lastUninstalled(versions)
			t = time.Now()
			_, err = in.RunWithContext(ctx, ch, vals)
			p.add("run", t)
			if err != nil {
				return fail("failed", err)
			}
		} else if herr != nil {
			return fail("failed", herr)
		} else {
			res.Action = "upgrade"
			up := action.NewUpgrade(cfg)
			up.Namespace = r.Namespace
			up.Labels = r.Labels
			up.Timeout = timeout
			up.WaitStrategy = kube.StatusWatcherStrategy
			up.WaitOptions = waitOpts
			up.WaitForJobs = true
			up.SkipCRDs = r.SkipCrds
			up.MaxHistory = maxHistory
			up.ForceConflicts = true
			up.ServerSideApply = "auto"
			t = time.Now()
			_, err = up.RunWithContext(ctx, r.Release, ch, vals)
			p.add("run", t)
			if err != nil {
				return fail("failed", fmt.Errorf("UPGRADE FAILED: %w", err))
			}
		}
		res.OK = true
		return res
	case "rollback":
		res.Action = "rollback"
		rb := action.NewRollback(cfg)
		rb.Version = r.Revision
		rb.Timeout = timeout
		rb.WaitStrategy = kube.StatusWatcherStrategy
		rb.WaitOptions = waitOpts
		rb.MaxHistory = maxHistory
		rb.ForceConflicts = true
		rb.ServerSideApply = "auto"
		t := time.Now()
		err := rb.Run(r.Release)
		p.add("run", t)
		if err != nil {
			return fail("failed", err)
		}
		res.OK = true
		return res
	case "uninstall":
		res.Action = "uninstall"
		un := action.NewUninstall(cfg)
		un.Timeout = timeout
		un.WaitStrategy = kube.StatusWatcherStrategy
		un.WaitOptions = waitOpts
		un.DeletionPropagation = "background"
		t := time.Now()
		_, err := un.Run(r.Release)
		p.add("run", t)
		if err != nil {
			return fail("failed", err)
		}
		res.OK = true
		return res
	default:
		return fail("invalid", fmt.Errorf("unknown op %q", r.Op))
	}
}

// template renders as `helm template --include-crds [--is-upgrade]` prints.
func (w *worker) template(ctx context.Context, cfg *action.Configuration, r request, ch ci.Charter, vals map[string]any, res response, fail func(string, error) response) response {
	res.Action = "template"
	in := action.NewInstall(cfg)
	in.DryRunStrategy = action.DryRunClient
	in.ReleaseName = r.Release
	in.Namespace = r.Namespace
	in.Replace = true // skip the name check, as helm template does
	in.IncludeCRDs = true
	in.IsUpgrade = r.IsUpgrade
	rl, err := in.RunWithContext(ctx, ch, vals)
	if err != nil {
		return fail("failed", err)
	}
	rel, err := asV1(rl)
	if err != nil || rel == nil {
		return fail("failed", fmt.Errorf("no release rendered: %v", err))
	}
	var out bytes.Buffer
	fmt.Fprintln(&out, strings.TrimSpace(rel.Manifest))
	for _, m := range rel.Hooks {
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", m.Path, m.Manifest)
	}
	res.Output = out.String()
	res.OK = true
	return res
}

func readValues(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	vals, err := loader.LoadValues(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("cannot read values: %w", err)
	}
	return loader.MergeMaps(map[string]any{}, vals), nil
}

// installable: only application charts install (as helm's checkIfInstallable).
func installable(ac ci.Accessor) error {
	switch t := ac.MetadataAsMap()["Type"]; t {
	case nil, "", "application":
		return nil
	default:
		return fmt.Errorf("%v charts are not installable", t)
	}
}

func asV1(rl ri.Releaser) (*release.Release, error) {
	switch r := rl.(type) {
	case *release.Release:
		return r, nil
	case release.Release:
		return &r, nil
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("unsupported release type: %T", rl)
	}
}

func lastUninstalled(versions []ri.Releaser) bool {
	if len(versions) == 0 {
		return false
	}
	rel, err := asV1(versions[len(versions)-1])
	return err == nil && rel != nil && rel.Info != nil && rel.Info.Status == common.StatusUninstalled
}

// timedKube records where an action's time goes: building (mapping) the
// manifest, the apply, and the wait.
type timedKube struct {
	*kube.Client
	p   *phases
	ctx context.Context
	// the request's getter: its REST mapper, for ownStatusReaders
	getter action.RESTClientGetter
}

func (k *timedKube) Build(reader io.Reader, validate bool) (kube.ResourceList, error) {
	defer k.p.add("build", time.Now())
	return k.Client.Build(reader, validate)
}

func (k *timedKube) Create(resources kube.ResourceList, options ...kube.ClientCreateOption) (*kube.Result, error) {
	defer k.p.add("apply", time.Now())
	return k.Client.Create(resources, options...)
}

func (k *timedKube) Update(original, target kube.ResourceList, options ...kube.ClientUpdateOption) (*kube.Result, error) {
	defer k.p.add("apply", time.Now())
	return k.Client.Update(original, target, options...)
}

func (k *timedKube) GetWaiterWithOptions(s kube.WaitStrategy, opts ...kube.WaitOption) (kube.Waiter, error) {
	w, err := k.Client.GetWaiterWithOptions(s, opts...)
	if err != nil {
		return nil, err
	}
	if s == kube.StatusWatcherStrategy {
		mapper, err := k.getter.ToRESTMapper()
		if err != nil {
			return nil, err
		}
		lean, err := k.Client.GetWaiterWithOptions(s, append(opts[:len(opts):len(opts)], kube.WithKStatusReaders(ownStatusReaders(mapper)...))...)
		if err != nil {
			return nil, err
		}
		w = &leanWaiter{Waiter: w, lean: lean}
	}
	return &timedWaiter{Waiter: w, p: k.p}, nil
}

type timedWaiter struct {
	kube.Waiter
	p *phases
}

func (w *timedWaiter) Wait(resources kube.ResourceList, timeout time.Duration) error {
	defer w.p.add("wait", time.Now())
	return w.Waiter.Wait(resources, timeout)
}

func (w *timedWaiter) WaitWithJobs(resources kube.ResourceList, timeout time.Duration) error {
	defer w.p.add("wait", time.Now())
	return w.Waiter.WaitWithJobs(resources, timeout)
}

// timedDiscovery adds up the time spent in discovery (/version, /api, /apis).
type timedDiscovery struct {
	next  http.RoundTripper
	total *atomic.Int64
}

func (t *timedDiscovery) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	if p != "/version" && p != "/api" && p != "/apis" && !(strings.HasPrefix(p, "/apis/") && strings.Count(p, "/") <= 3) && !(strings.HasPrefix(p, "/api/") && strings.Count(p, "/") <= 2) {
		return t.next.RoundTrip(req)
	}
	start := time.Now()
	defer func() { t.total.Add(int64(time.Since(start))) }()
	return t.next.RoundTrip(req)
}
