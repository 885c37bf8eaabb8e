package observe

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// VPCs describes the VPCs that match filters or ids (ec2:DescribeVpcs).
func VPCs(ctx context.Context, api ec2.DescribeVpcsAPIClient, filters []ec2types.Filter, ids ...string) ([]ec2types.Vpc, error) {
	var all []ec2types.Vpc
	p := ec2.NewDescribeVpcsPaginator(api, &ec2.DescribeVpcsInput{Filters: filters, VpcIds: ids})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Vpcs...)
	}
	return all, nil
}

// Subnets describes the subnets that match filters or ids
// (ec2:DescribeSubnets). Filtering by the subnet-id filter rather than ids
// makes a missing subnet absent instead of an error.
func Subnets(ctx context.Context, api ec2.DescribeSubnetsAPIClient, filters []ec2types.Filter, ids ...string) ([]ec2types.Subnet, error) {
	var all []ec2types.Subnet
	p := ec2.NewDescribeSubnetsPaginator(api, &ec2.DescribeSubnetsInput{Filters: filters, SubnetIds: ids})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.Subnets...)
	}
	return all, nil
}

// RouteTables describes the route tables that match filters or ids
// (ec2:DescribeRouteTables).
func RouteTables(ctx context.Context, api ec2.DescribeRouteTablesAPIClient, filters []ec2types.Filter, ids ...string) ([]ec2types.RouteTable, error) {
	var all []ec2types.RouteTable
	p := ec2.NewDescribeRouteTablesPaginator(api, &ec2.DescribeRouteTablesInput{Filters: filters, RouteTableIds: ids})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.RouteTables...)
	}
	return all, nil
}

// InternetGateways describes the internet gateways that match filters or
// ids (ec2:DescribeInternetGateways).
func InternetGateways(ctx context.Context, api ec2.DescribeInternetGatewaysAPIClient, filters []ec2types.Filter, ids ...string) ([]ec2types.InternetGateway, error) {
	var all []ec2types.InternetGateway
	p := ec2.NewDescribeInternetGatewaysPaginator(api, &ec2.DescribeInternetGatewaysInput{Filters: filters, InternetGatewayIds: ids})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.InternetGateways...)
	}
	return all, nil
}

// NATGateways describes the NAT gateways that match filters or ids
// (ec2:DescribeNatGateways), in every state.
func NATGateways(ctx context.Context, api ec2.DescribeNatGatewaysAPIClient, filters []ec2types.Filter, ids ...string) ([]ec2types.NatGateway, error) {
	var all []ec2types.NatGateway
	p := ec2.NewDescribeNatGatewaysPaginator(api, &ec2.DescribeNatGatewaysInput{Filter: filters, NatGatewayIds: ids})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, out.NatGateways...)
	}
	return all, nil
}

// AddressesAPI describes Elastic IPs.
type AddressesAPI interface {
	DescribeAddresses(ctx context.Context, params *ec2.DescribeAddressesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
}

// Addresses describes the Elastic IPs that match filters
// (ec2:DescribeAddresses, which is not paginated).
func Addresses(ctx context.Context, api AddressesAPI, filters []ec2types.Filter) ([]ec2types.Address, error) {
	out, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: filters})
	if err != nil {
		return nil, err
	}
	return out.Addresses, nil
}

// AvailabilityZonesAPI describes the region's zones.
type AvailabilityZonesAPI interface {
	DescribeAvailabilityZones(ctx context.Context, params *ec2.DescribeAvailabilityZonesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error)
}

// AvailabilityZones describes the region's zones that match filters
// (ec2:DescribeAvailabilityZones).
func AvailabilityZones(ctx context.Context, api AvailabilityZonesAPI, filters []ec2types.Filter) ([]ec2types.AvailabilityZone, error) {
	out, err := api.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{Filters: filters})
	if err != nil {
		return nil, err
	}
	return out.AvailabilityZones, nil
}
