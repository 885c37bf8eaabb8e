package awsproxy

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"
)

type createFargateProfileInput struct {
	Name                string   `json:"fargateProfileName"`
	PodExecutionRoleArn string   `json:"podExecutionRoleArn"`
	Subnets             []string `json:"subnets"`
	Selectors           []struct {
		Namespace *string           `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"selectors"`
}

func (p *Proxy) createFargateProfile(w *recorder, r *http.Request, in *request) {
	var req createFargateProfileInput
	if json.Unmarshal(in.body, &req) != nil {
		p.pass(w, r, in)
		return
	}
	cv := p.lookupCluster(w, r, in)
	if cv == nil {
		return
	}
	now := time.Now()
	p.smu.Lock()
	c := p.clusterLocked(cv)
	e := clusterActive(c, now, true)
	if e == nil && c.status(now) == "UPDATING" {
		e = inUse("Cannot create Fargate Profile %s because cluster %s is currently being updated", req.Name, c.name).withCluster(c.name)
	}
	p.smu.Unlock()
	if e == nil {
		e = checkProfileShape(&req)
	}
	delays := p.Delays()
	if e == nil {
		e = p.roleNotAssumable(req.PodExecutionRoleArn, delays)
	}
	if e == nil && len(req.Subnets) > 0 {
		var err error
		e, err = p.checkPrivateSubnets(r.Context(), r, in, req.Subnets)
		if err != nil {
			p.upstreamFailed(w, in, err)
			return
		}
	}
	if e != nil {
		w.fail(in, e.withCluster(cv.name))
		return
	}

	// Only one profile per cluster may be CREATING or DELETING.
	p.smu.Lock()
	c = p.clusterLocked(cv)
	if busy, st := p.st.busyProfile(c, time.Now()); busy != "" {
		p.smu.Unlock()
		w.fail(in, inUse("Cannot create Fargate Profile %s because cluster %s currently has Fargate profile %s in status %s", req.Name, c.name, busy, st).withCluster(c.name))
		return
	}
	reserved := delays.ProfileCreate > 0
	if reserved {
		c.profileOp = req.Name
	}
	p.smu.Unlock()
	release := func() {
		if reserved {
			p.smu.Lock()
			if c.profileOp == req.Name {
				c.profileOp = ""
			}
			p.smu.Unlock()
		}
	}

	resp, top, obj, ok := p.forwardMember(w, r, in, "fargateProfile")
	if !ok {
		release()
		return
	}
	arn := str(obj["fargateProfileArn"])
	now = time.Now()
	p.smu.Lock()
	c = p.clusterLocked(cv)
	if c.profileOp == req.Name {
		c.profileOp = ""
	}
	f := &profile{arn: arn, name: req.Name, clusterARN: cv.arn, created: now, createFor: delays.ProfileCreate, tags: map[string]string{}}
	if t, ok := obj["tags"].(map[string]any); ok {
		for k, v := range t {
			f.tags[k] = str(v)
		}
	}
	p.st.profiles[arn] = f
	obj["status"] = f.status(now)
	// In the API modes EKS gives the pod execution role an access entry.
	if c.authMode != "CONFIG_MAP" && req.PodExecutionRoleArn != "" && c.entries[req.PodExecutionRoleArn] == nil {
		c.entries[req.PodExecutionRoleArn] = c.newAccessEntry(req.PodExecutionRoleArn, "FARGATE_LINUX", "", nil, nil, now)
	}
	p.smu.Unlock()
	p.log.Debug("awsproxy: Fargate profile created", zap.String("arn", arn), zap.String("status", f.status(now)))
	resp.writeBody(w, mustJSON(top))
}

// checkProfileShape checks the limits moto does not.
func checkProfileShape(req *createFargateProfileInput) *apiError {
	if strings.HasPrefix(req.Name, "eks-") {
		return invalidParam("Fargate Profile name %s is invalid: the prefix eks- is reserved", req.Name)
	}
	if len(req.Selectors) > 5 {
		return invalidParam("Fargate Profile cannot have more than 5 selectors; got %d", len(req.Selectors))
	}
	return nil
}

// checkPrivateSubnets refuses subnets whose route table (their own, or the
// VPC's main table) routes to an internet gateway. It asks moto's EC2 with
// the SDK, in the request's region.
func (p *Proxy) checkPrivateSubnets(ctx context.Context, r *http.Request, in *request, subnets []string) (*apiError, error) {
	client := p.ec2Client(ctx, r, in)
	for _, subnet := range subnets {
		tables, err := client.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{
			Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: []string{subnet}}},
		})
		if err != nil {
			return nil, err
		}
		rts := tables.RouteTables
		if len(rts) == 0 {
			sn, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{subnet}})
			var ae smithy.APIError
			if errors.As(err, &ae) && strings.HasPrefix(ae.ErrorCode(), "InvalidSubnetID") {
				return invalidParam("Subnet %s provided in Fargate Profile does not exist", subnet), nil
			}
			if err != nil {
				return nil, err
			}
			if len(sn.Subnets) == 0 {
				return invalidParam("Subnet %s provided in Fargate Profile does not exist", subnet), nil
			}
			main, err := client.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{
				Filters: []ec2types.Filter{
					{Name: aws.String("vpc-id"), Values: []string{aws.ToString(sn.Subnets[0].VpcId)}},
					{Name: aws.String("association.main"), Values: []string{"true"}},
				},
			})
			if err != nil {
				return nil, err
			}
			rts = main.RouteTables
		}
		for _, rt := range rts {
			for _, route := range rt.Routes {
				if strings.HasPrefix(aws.ToString(route.GatewayId), "igw-") {
					p.log.Debug("awsproxy: public subnet refused", zap.String("subnet", subnet),
						zap.String("routeTable", aws.ToString(rt.RouteTableId)), zap.String("gateway", aws.ToString(route.GatewayId)))
					return invalidParam("Subnet %s provided in Fargate Profile is not a private subnet", subnet), nil
				}
			}
		}
	}
	return nil, nil
}

func (p *Proxy) describeFargateProfile(w *recorder, r *http.Request, in *request) {
	p.fireOverdueDeletes(in.region, in.params["cluster"], in.params["profile"])
	resp, top, obj, ok := p.forwardMember(w, r, in, "fargateProfile")
	if !ok {
		return
	}
	p.smu.Lock()
	if f := p.st.profiles[str(obj["fargateProfileArn"])]; f != nil {
		obj["status"] = f.status(time.Now())
		if f.tags != nil {
			obj["tags"] = maps.Clone(f.tags)
		}
	}
	p.smu.Unlock()
	resp.writeBody(w, mustJSON(top))
}

// clusterARNOfProfile derives the cluster ARN from a Fargate profile ARN
// (arn:aws:eks:region:account:fargateprofile/cluster/profile/uuid).
func clusterARNOfProfile(arn string) string {
	partition, region, account, res := splitARN(arn)
	parts := strings.Split(res, "/")
	if len(parts) < 2 {
		return ""
	}
	return "arn:" + partition + ":eks:" + region + ":" + account + ":cluster/" + parts[1]
}

func (p *Proxy) deleteFargateProfile(w *recorder, r *http.Request, in *request) {
	clusterName, name := in.params["cluster"], in.params["profile"]
	p.fireOverdueDeletes(in.region, clusterName, name)
	resp, err := p.call(r.Context(), in, r, "eks", http.MethodGet, "/clusters/"+url.PathEscape(clusterName)+"/fargate-profiles/"+url.PathEscape(name), nil, nil)
	if err != nil {
		p.upstreamFailed(w, in, err)
		return
	}
	if resp.status != http.StatusOK {
		resp.write(w)
		return
	}
	_, obj, err := decodeMember(resp.body, "fargateProfile")
	if err != nil {
		p.upstreamFailed(w, in, err)
		return
	}
	arn := str(obj["fargateProfileArn"])
	clusterARN := clusterARNOfProfile(arn)
	now := time.Now()
	delay := p.Delays().ProfileDelete
	p.smu.Lock()
	c := p.clusterLocked(&clusterView{arn: clusterARN})
	f := p.st.profiles[arn]
	if f == nil {
		f = &profile{arn: arn, name: name, clusterARN: clusterARN}
		p.st.profiles[arn] = f
	}
	if busy, st := p.st.busyProfile(c, now); busy != "" {
		p.smu.Unlock()
		w.fail(in, inUse("Cannot delete Fargate Profile %s because cluster %s currently has Fargate profile %s in status %s", name, c.name, busy, st).withCluster(c.name))
		return
	}
	if delay == 0 {
		p.smu.Unlock()
		resp, top, obj, ok := p.forwardMember(w, r, in, "fargateProfile")
		if !ok {
			return
		}
		p.smu.Lock()
		delete(p.st.profiles, arn)
		p.smu.Unlock()
		obj["status"] = "DELETING"
		resp.writeBody(w, mustJSON(top))
		return
	}
	detached := r.Clone(context.Background())
	body := in.body
	f.deleting = p.scheduleLocked(delay, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		resp, err := p.forward(ctx, detached, body)
		p.smu.Lock()
		defer p.smu.Unlock()
		if err == nil && (resp.status == http.StatusOK || resp.status == http.StatusNotFound) {
			delete(p.st.profiles, arn)
			return
		}
		p.log.Warn("awsproxy: delayed DeleteFargateProfile failed; the profile stays", zap.String("arn", arn), zap.Error(err))
		if f := p.st.profiles[arn]; f != nil {
			f.deleting = nil
		}
	})
	p.smu.Unlock()
	obj["status"] = "DELETING"
	p.log.Debug("awsproxy: Fargate profile deleting", zap.String("arn", arn), zap.Duration("delay", delay))
	w.json(map[string]any{"fargateProfile": obj})
}

// ec2Client is an SDK EC2 client for the proxy's own lookups in moto, in
// the incoming request's region and moto account.
func (p *Proxy) ec2Client(ctx context.Context, r *http.Request, in *request) *ec2.Client {
	return ec2.New(ec2.Options{
		Region:       in.region,
		BaseEndpoint: aws.String(p.upstream.String()),
		Credentials:  p.credentials(ctx, in),
		HTTPClient:   p.client,
		APIOptions:   ownAPIOptions(r),
	})
}
