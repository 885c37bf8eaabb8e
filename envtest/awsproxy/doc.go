// Package awsproxy is an HTTP proxy to put in front of moto_server, so that
// code using the AWS SDK for Go v2 can be tested against something that
// behaves like EKS, IAM, STS, EC2 and KMS do, including where moto does not:
// the eventual consistency, the slow state transitions, the serial rules,
// the throttling and the failures. It is test infrastructure in the spirit
// of net/http/httptest: a Proxy is an http.Handler.
//
// envtest.NewAWS starts moto and a Proxy for a test. To use the proxy on its
// own, serve it and point the SDK's BaseEndpoint at it:
//
//	p, err := awsproxy.New("http://127.0.0.1:5000", awsproxy.WithDelays(awsproxy.Delays{
//		ClusterCreate: 2 * time.Second,
//		ProfileCreate: time.Second,
//	}))
//	if err != nil { ... }
//	defer p.Close()
//	srv := httptest.NewServer(p)
//	defer srv.Close()
//	cfg.BaseEndpoint = aws.String(srv.URL)
//
// # Identifying requests
//
// All SDK clients share one endpoint, so the proxy reads the service from
// the SigV4 credential scope (the Authorization header's
// Credential=AKID/date/region/service/aws4_request, or the X-Amz-Credential
// query parameter of a presigned URL) and the operation from the protocol:
// method and path for EKS (REST-JSON), the Action parameter for IAM, STS and
// EC2 (query protocols, in the form body or the URL), the X-Amz-Target
// header for KMS (JSON 1.1). Requests it cannot place are counted under
// UnknownService or UnknownOperation and forwarded.
//
// moto, for its part, routes a request to a service, and reads the caller's
// access key, from the Authorization header only. A presigned request (the
// signature in X-Amz-Credential, X-Amz-SignedHeaders and X-Amz-Signature,
// no Authorization header), such as the STS GetCallerIdentity URL inside an
// EKS token, is therefore forwarded with an Authorization header carrying
// the same credential scope, signed headers and signature; without it moto
// would answer from its S3 backend.
//
// # What is emulated
//
// EKS operations moto 5.2.1 lacks are answered from the proxy's memory, in
// the API's JSON shapes and with its error codes and HTTP statuses, so the
// SDK's eks client, paginators and waiters work on them:
//
//   - add-ons: CreateAddon, DescribeAddon, UpdateAddon, DeleteAddon,
//     ListAddons, DescribeAddonVersions, DescribeAddonConfiguration. Versions
//     come from a catalogue (Options.Addons, default DefaultAddons) with one
//     default per Kubernetes version; configurationValues must be a JSON
//     object allowed by the add-on's schema. Status moves CREATING→ACTIVE,
//     UPDATING→ACTIVE and DELETING→gone after Delays.AddonCreate,
//     AddonUpdate and AddonDelete. UpdateAddon returns an AddonUpdate that
//     DescribeUpdate (with addonName) and ListUpdates report.
//   - access entries: CreateAccessEntry, DescribeAccessEntry,
//     UpdateAccessEntry, DeleteAccessEntry, ListAccessEntries,
//     AssociateAccessPolicy, DisassociateAccessPolicy,
//     ListAssociatedAccessPolicies, ListAccessPolicies. They are refused
//     with InvalidRequestException unless the cluster's authentication mode
//     is API or API_AND_CONFIG_MAP. As EKS does, a cluster created in an API
//     mode gets an access entry with AmazonEKSClusterAdminPolicy for its
//     creator (asked from moto's STS), and a Fargate profile created in an
//     API mode gets a FARGATE_LINUX access entry for its pod execution role.
//   - pod identity associations: Create, Describe, Update, Delete and
//     ListPodIdentityAssociations, including those an add-on owns.
//   - updates: UpdateClusterConfig returns an update (LoggingUpdate,
//     EndpointAccessUpdate, VpcConfigUpdate, AccessConfigUpdate,
//     DeletionProtectionUpdate, UpgradePolicyUpdate, ...) instead of moto's
//     cluster; UpdateClusterVersion and AssociateEncryptionConfig are
//     emulated; DescribeUpdate and ListUpdates report all of them. A cluster
//     is UPDATING for Delays.ClusterUpdate after each, and refuses another
//     update meanwhile.
//   - DescribeClusterVersions, from Options.ClusterVersions (default
//     DefaultClusterVersions), with the clusterVersions, versionStatus,
//     status, defaultOnly, includeAll and clusterType filters.
//
// Every emulated List and Describe…Versions paginates with maxResults and
// nextToken.
//
// IAM operations moto 5.2.1 lacks are emulated on moto's own state:
//
//   - AddClientIDToOpenIDConnectProvider and
//     RemoveClientIDFromOpenIDConnectProvider read the provider from moto
//     and, when its client ID list must change, delete it and create it
//     again with the same URL (hence the same ARN), thumbprints and tags.
//     Both are idempotent as in IAM: adding a present ID or removing an
//     absent one succeeds and changes nothing. An unknown provider gives
//     NoSuchEntity (HTTP 404), a client ID outside 1–255 characters
//     ValidationError, an ARN that is not an OpenID Connect provider's
//     InvalidInput, a 101st client ID LimitExceeded. Every IAM request that
//     names a provider ARN is serialised per ARN, so concurrent changes are
//     all kept and readers through the proxy never see the provider gone.
//
// Operations moto has pass through it, with the rules and fields it skips
// added:
//
//   - clusters and Fargate profiles are CREATING for Delays.ClusterCreate
//     and ProfileCreate after they are created; a delete is answered by the
//     proxy with DELETING and reaches moto only after Delays.ClusterDelete
//     or ProfileDelete, after which Describe returns ResourceNotFound. The
//     SDK's ClusterActive, ClusterDeleted, FargateProfileActive and
//     FargateProfileDeleted waiters see these transitions.
//   - only one Fargate profile per cluster may be CREATING or DELETING:
//     another CreateFargateProfile or DeleteFargateProfile meanwhile fails
//     with ResourceInUseException (HTTP 409), and so does one while the
//     cluster is UPDATING.
//   - Fargate profile subnets must be private: a subnet whose route table
//     (its own, else the VPC's main table, read from moto's EC2) routes to
//     an internet gateway is refused with InvalidParameterException. The
//     eks- name prefix is reserved and at most five selectors are allowed.
//   - a cluster with Fargate profiles or node groups cannot be deleted, nor
//     one with deletion protection; profiles, add-ons and node groups need
//     an ACTIVE (or UPDATING) cluster.
//   - CreateCluster refuses versions outside the catalogue or unsupported,
//     defaults the version to the catalogue's default (not moto's 1.19),
//     validates accessConfig, and applies the serviceIpv4Cidr rules (a
//     private block between /12 and /24, outside the VPC). Clusters report
//     accessConfig (CONFIG_MAP when none was given, as the API does),
//     deletionProtection, upgradePolicy, encryptionConfig, the VPC ID and
//     the endpoint access defaults. Configuration updates merge as EKS's do
//     (moto replaces: an endpoint update would drop the subnets, a logging
//     update the other log types).
//   - every cluster has an OpenID Connect issuer of its own (moto gives
//     all of them the same): identity.oidc.issuer is
//     https://oidc.eks.REGION.amazonaws.com/id/ID, with an ID of 32
//     upper-case hexadecimal characters derived from the cluster's ARN and
//     creation time, so it is stable for the cluster's life and changes
//     when a cluster of the same name is created again. Only answers
//     through the proxy carry it; moto's own keep its shared issuer.
//   - TagResource, UntagResource and ListTagsForResource work on emulated
//     resources and on Fargate profiles, which moto cannot tag.
//   - the authentication mode only moves forward one step:
//     CONFIG_MAP→API_AND_CONFIG_MAP→API, else InvalidParameterException.
//   - IAM rejects malformed policy documents (CreateRole,
//     UpdateAssumeRolePolicy, PutRolePolicy, PutUserPolicy, PutGroupPolicy,
//     CreatePolicy, CreatePolicyVersion): not a JSON object, trailing commas,
//     trailing data, or duplicate keys give MalformedPolicyDocument (HTTP
//     400, query XML), which the SDK decodes as
//     *types.MalformedPolicyDocumentException.
//   - a role is not assumable by EKS for Delays.RolePropagation after
//     CreateRole: CreateCluster (roleArn) and CreateFargateProfile
//     (podExecutionRoleArn) fail with InvalidParameterException, as they do
//     while IAM propagates a new role.
//
// With zero Delays (the default) nothing waits: resources are ACTIVE or gone
// at once, as in moto, and the serial rules only bite when something is in
// a transitional state.
//
// # Faults, latency and counters
//
// AddFault injects throttling (each protocol's own throttling error),
// server errors, dropped connections and latency, by service, operation,
// rate and count; randomness is seeded (Options.Seed) so runs repeat.
// Options.Latency delays every request. Counts, Count, Total, FaultCounts
// and Calls report what went through, faulted requests included, so tests
// can assert on retries and on the number of calls a piece of code makes.
//
// # What is not emulated
//
// Everything else is moto's: its state, its validation, its gaps. In
// particular the proxy does not evaluate IAM policies or authorise
// requests, does not check signatures, does not emulate node groups beyond
// moto, capabilities, identity provider configs, insights or EKS Anywhere,
// does not keep node group updates, and does not run Kubernetes (an ACTIVE
// add-on runs nothing). Error messages are modelled on EKS's and IAM's but
// are not guaranteed to match them word for word. A provider whose client
// IDs the proxy changed has a new CreateDate, and a request that reaches
// moto without the proxy may find it missing meanwhile. Clusters are keyed
// by ARN; the proxy's own calls to moto (DescribeCluster,
// DescribeRouteTables, GetCallerIdentity, and the OpenID Connect provider
// reads and re-creation) are signed with Options.Credentials, by default
// the caller's access key and a dummy secret, which moto accepts unless its
// IAM enforcement is on. With enforcement on, set Options.Credentials to a
// moto user's key: the proxy's calls send and sign X-Amz-Content-Sha256,
// without which moto 5.2.1 cannot verify the signature of a GET. The proxy
// cannot add that header to the caller's own requests (it would break their
// signatures): callers under enforcement add it themselves, for example
// with the SDK's v4.AddContentSHA256HeaderMiddleware in
// aws.Config.APIOptions. Delays use the real clock.
package awsproxy
