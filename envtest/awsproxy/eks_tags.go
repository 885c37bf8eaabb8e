package awsproxy

import (
	"encoding/json"
	"maps"
	"net/http"
	"time"
)

// serveTags answers TagResource, UntagResource and ListTagsForResource for
// resources moto does not tag: emulated add-ons, access entries and pod
// identity associations, and Fargate profiles created through the proxy.
// It reports false for other ARNs, which go to moto.
func (p *Proxy) serveTags(w *recorder, r *http.Request, in *request) bool {
	arn := in.params["arn"]
	var tags map[string]string
	switch in.operation {
	case "TagResource":
		var req struct {
			Tags map[string]string `json:"tags"`
		}
		if err := json.Unmarshal(in.body, &req); err != nil {
			return false
		}
		tags = req.Tags
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	target := p.taggableLocked(arn)
	if target == nil {
		return false
	}
	if *target == nil {
		*target = map[string]string{}
	}
	switch in.operation {
	case "TagResource":
		maps.Copy(*target, tags)
		w.json(map[string]any{})
	case "UntagResource":
		for _, k := range r.URL.Query()["tagKeys"] {
			delete(*target, k)
		}
		w.json(map[string]any{})
	default:
		w.json(map[string]any{"tags": maps.Clone(*target)})
	}
	return true
}

// taggableLocked finds the tags of an emulated resource by ARN. The caller
// holds p.smu.
func (p *Proxy) taggableLocked(arn string) *map[string]string {
	if f := p.st.profiles[arn]; f != nil && f.deleting == nil {
		return &f.tags
	}
	now := time.Now()
	for _, c := range p.st.clusters {
		c.sweep(now)
		for _, a := range c.addons {
			if a.arn == arn {
				return &a.tags
			}
		}
		for _, e := range c.entries {
			if e.arn == arn {
				return &e.tags
			}
		}
		for _, x := range c.pods {
			if x.arn == arn {
				return &x.tags
			}
		}
	}
	return nil
}
