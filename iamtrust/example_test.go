package iamtrust_test

import (
	"errors"
	"fmt"

	"github.com/fargatekit/fargatekit/iamtrust"
)

func ExampleParse() {
	_, err := iamtrust.Parse([]byte(`{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "allow",
    "Principal": {"Service": "eks.amazonaws.com"},
    "Action": "sts:AssumeRole"
  }]
}`))
	var se *iamtrust.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Line, se.Column, se.Element)
	}
	fmt.Println(err)

	d, err := iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Statement[0].Principal.Entries[0].Values.Items[0])
	// Output:
	// 4 15 Statement[0].Effect
	// line 4, column 15: Statement[0].Effect: invalid effect "allow"; want "Allow" or "Deny" (case-sensitive)
	// eks.amazonaws.com
}

func ExampleEqual() {
	sent, _ := iamtrust.Parse([]byte(`{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": ["111122223333"]},
    "Action": ["sts:AssumeRole", "sts:TagSession"]
  }]
}`))
	// What IAM returns: the account as its root ARN, other key and value order.
	stored, _ := iamtrust.ParseLive(`%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Action%22%3A%5B%22sts%3ATagSession%22%2C%22sts%3AAssumeRole%22%5D%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot%22%7D%2C%22Effect%22%3A%22Allow%22%7D%5D%7D`)
	fmt.Println(iamtrust.Equal(sent, stored))

	// The role was deleted: IAM shows its unique ID, which a new role of the
	// same name does not match.
	a, _ := iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/deployer"},"Action":"sts:AssumeRole"}]}`))
	b, _ := iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"AROAEXAMPLEID0123456"},"Action":"sts:AssumeRole"}]}`))
	fmt.Println(iamtrust.Equal(a, b))
	// Output:
	// true
	// false
}

func ExampleDiff() {
	a, _ := iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowIRSA","Effect":"Allow",
  "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},
  "Action":"sts:AssumeRoleWithWebIdentity",
  "Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:default:app",
                               "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud":"sts.amazonaws.com"}}}]}`))
	b, _ := iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowIRSA","Effect":"Allow",
  "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},
  "Action":"sts:AssumeRoleWithWebIdentity",
  "Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub":"system:serviceaccount:prod:app"}}}]}`))
	for _, d := range iamtrust.Diff(a, b) {
		fmt.Println(d)
	}
	// Output:
	// - Statement[Sid=AllowIRSA].Condition.StringEquals["oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud"]: "sts.amazonaws.com"
	// ~ Statement[Sid=AllowIRSA].Condition.StringEquals["oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub"]: "system:serviceaccount:default:app" → "system:serviceaccount:prod:app"
}

func ExampleFargatePodExecutionTrust() {
	d, err := iamtrust.FargatePodExecutionTrust(iamtrust.FargateTrust{
		Region:    "us-west-2",
		AccountID: "111122223333",
		Cluster:   "my-cluster",
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s", d.JSON())

	_, err = iamtrust.FargatePodExecutionTrust(iamtrust.FargateTrust{Region: "cn-north-1", Partition: "aws", AccountID: "1234", Cluster: "my-cluster"})
	fmt.Println(err)
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Effect": "Allow",
	//       "Principal": {
	//         "Service": "eks-fargate-pods.amazonaws.com"
	//       },
	//       "Action": "sts:AssumeRole",
	//       "Condition": {
	//         "ArnLike": {
	//           "aws:SourceArn": "arn:aws:eks:us-west-2:111122223333:fargateprofile/my-cluster/*"
	//         }
	//       }
	//     }
	//   ]
	// }
	// iamtrust: Region: region cn-north-1 is in partition aws-cn, not aws
	// iamtrust: AccountID: "1234" is not an AWS account ID (12 digits)
}

func ExampleEvaluate() {
	d, err := iamtrust.IRSATrust(iamtrust.IRSA{
		AccountID:       "111122223333",
		IssuerURL:       "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
		ServiceAccounts: []iamtrust.ServiceAccount{{Namespace: "default", Name: "app"}},
	})
	if err != nil {
		panic(err)
	}
	req := iamtrust.Request{
		Action:    "sts:AssumeRoleWithWebIdentity",
		Principal: iamtrust.Principal{Type: "Federated", Value: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},
		Context: map[string][]string{
			"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub": {"system:serviceaccount:default:app"},
			"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud": {"sts.amazonaws.com"},
		},
	}
	fmt.Println(iamtrust.Evaluate(d, req).Decision)

	req.Context["oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub"] = []string{"system:serviceaccount:kube-system:other"}
	res := iamtrust.Evaluate(d, req)
	fmt.Println(res.Decision)
	fmt.Println(res.Statements[0].Reason)
	// Output:
	// Allow
	// ImplicitDeny
	// Condition StringEquals["oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub"] does not hold: request value "system:serviceaccount:kube-system:other" matches no policy value
}

func ExampleLint() {
	d, _ := iamtrust.Parse([]byte(`{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringLike": {"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:*:*"}}
  }]
}`))
	for _, f := range iamtrust.Lint(d, iamtrust.LintOptions{}) {
		fmt.Printf("%s %s %s\n  %s\n", f.Check, f.Severity, f.Path, f.Message)
	}
	// Output:
	// IRSA-03 medium Statement[0].Condition
	//   Statement[0] lets OIDC provider oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE assume the role without a condition on "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud"; add "StringEquals": {"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud": "sts.amazonaws.com"}
	// IRSA-04 high Statement[0].Condition.StringLike["oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub"]
	//   Statement[0] lets every service account whose subject matches the pattern "system:serviceaccount:*:*" assume the role, including ones created later; list the service accounts with StringEquals "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:<namespace>:<name>"
}

func ExampleIRSATrust() {
	d, err := iamtrust.IRSATrust(iamtrust.IRSA{
		AccountID: "111122223333",
		IssuerURL: "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
		ServiceAccounts: []iamtrust.ServiceAccount{
			{Namespace: "payments", Name: "api"},
			{Namespace: "payments", Name: "worker"},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s", d.JSON())

	_, err = iamtrust.IRSATrust(iamtrust.IRSA{
		AccountID:       "111122223333",
		IssuerURL:       "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE",
		ServiceAccounts: []iamtrust.ServiceAccount{{Namespace: "payments", Name: "*"}},
	})
	var ve *iamtrust.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Field)
	}
	// Output:
	// {
	//   "Version": "2012-10-17",
	//   "Statement": [
	//     {
	//       "Effect": "Allow",
	//       "Principal": {
	//         "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE"
	//       },
	//       "Action": "sts:AssumeRoleWithWebIdentity",
	//       "Condition": {
	//         "StringEquals": {
	//           "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub": [
	//             "system:serviceaccount:payments:api",
	//             "system:serviceaccount:payments:worker"
	//           ],
	//           "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:aud": "sts.amazonaws.com"
	//         }
	//       }
	//     }
	//   ]
	// }
	// ServiceAccounts[0].Name
}

func ExampleParseLive() {
	// As GetRole returns it: URL-encoded.
	d, err := iamtrust.ParseLive("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22eks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D")
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Source())
	// Output:
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}
}

// Permissions.Capabilities judges what a role can actually do: here
// AdministratorAccess inside a permissions boundary that allows one bucket
// grants nothing dangerous, while the same policy alone is admin.
func ExamplePermissions_Capabilities() {
	admin, _ := iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	bucket, _ := iamtrust.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}`))
	alone := &iamtrust.Permissions{Policies: []iamtrust.PermissionPolicy{{Source: "arn:aws:iam::aws:policy/AdministratorAccess", Doc: admin}}}
	for _, c := range alone.Capabilities() {
		fmt.Println(c.Class, c.Action, "via", c.GrantedBy[0])
	}
	bounded := &iamtrust.Permissions{Policies: alone.Policies, Boundary: &iamtrust.PermissionPolicy{Source: "boundary", Doc: bucket}}
	fmt.Println("bounded:", len(bounded.Capabilities()), "capabilities;", bounded.Check("s3:GetObject", "arn:aws:s3:::logs/a").Decision)
	// Output:
	// admin-equivalent * via arn:aws:iam::aws:policy/AdministratorAccess Statement[0]
	// admin-equivalent iam:* via arn:aws:iam::aws:policy/AdministratorAccess Statement[0]
	// bounded: 0 capabilities; Allow
}
