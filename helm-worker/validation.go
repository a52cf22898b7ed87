package main

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/openapi/cached"
	"k8s.io/kubectl/pkg/validation"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v4/pkg/kube"
)

// Before every apply Helm asks, per object, whether the API server validates
// fields itself (kubectl's ParamVerifyingSchema): if so it leaves validation
// to the server, else it validates against the OpenAPI schema here. The
// answer comes from parsing the group-version's OpenAPI v3 document, which a
// helm process does once per run and a worker did once per request: a third
// of its CPU. The server's answer for a kind does not change while the worker
// runs (one worker talks to one cluster), so a "yes" is kept for the worker's
// life; anything else is asked again, through Helm's own validator.
type serverValidates struct {
	mu    sync.RWMutex
	kinds map[schema.GroupVersionKind]bool
}

func (s *serverValidates) has(gvk schema.GroupVersionKind) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.kinds[gvk]
}

func (s *serverValidates) add(gvk schema.GroupVersionKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds[gvk] = true
}

// validatingFactory is Helm's factory with Validator answered from serverValidates.
type validatingFactory struct {
	kube.Factory
	known *serverValidates
}

func (f validatingFactory) Validator(directive string) (validation.Schema, error) {
	if directive == metav1.FieldValidationIgnore {
		return f.Factory.Validator(directive)
	}
	return &knownSchema{f: f, directive: directive}, nil
}

// knownSchema answers a known kind at once; Helm's own validator and the
// verifier that learns a kind are built only for a kind not known yet.
type knownSchema struct {
	f         validatingFactory
	directive string
	own       validation.Schema
	verifier  resource.Verifier
}

// helm validates as Helm would have, through its own validator.
func (s *knownSchema) helm(data []byte) error {
	if s.own == nil {
		v, err := s.f.Factory.Validator(s.directive)
		if err != nil {
			return err
		}
		s.own = v
	}
	return s.own.ValidateBytes(data)
}

func (s *knownSchema) ValidateBytes(data []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if yaml.Unmarshal(data, &head) != nil || head.APIVersion == "" || head.Kind == "" {
		return s.helm(data) // Helm's own words for what is wrong
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		return s.helm(data)
	}
	gvk := gv.WithKind(head.Kind)
	if s.f.known.has(gvk) {
		return nil
	}
	if s.verifier == nil {
		dyn, err := s.f.DynamicClient()
		if err != nil {
			return s.helm(data)
		}
		cfg, err := s.f.ToRESTConfig()
		if err != nil {
			return s.helm(data)
		}
		dc, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			return s.helm(data)
		}
		s.verifier = resource.NewQueryParamVerifierV3(dyn, cached.NewClient(dc.OpenAPIV3()), resource.QueryParamFieldValidation)
	}
	if s.verifier.HasSupport(gvk) == nil {
		s.f.known.add(gvk)
		return nil
	}
	return s.helm(data)
}
