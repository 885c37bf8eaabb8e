package awsproxy_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/fargatekit/fargatekit/envtest/awsproxy"
)

// A proxy of one's own in front of a running moto_server, served like any
// http.Handler; SDK clients reach it through BaseEndpoint. (envtest.NewAWS
// does all this for a test.)
func Example() {
	p, err := awsproxy.New("http://127.0.0.1:5000", awsproxy.WithDelays(awsproxy.Delays{
		ClusterCreate:   2 * time.Second,
		ProfileCreate:   time.Second,
		RolePropagation: 500 * time.Millisecond,
	}))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	srv := httptest.NewServer(p)
	defer srv.Close()

	client := eks.NewFromConfig(aws.Config{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", ""),
	})
	out, err := client.DescribeClusterVersions(context.Background(), &eks.DescribeClusterVersionsInput{DefaultOnly: aws.Bool(true)})
	if err != nil {
		panic(err)
	}
	fmt.Println(aws.ToString(out.ClusterVersions[0].ClusterVersion))
	fmt.Println(p.Count("eks", "DescribeClusterVersions"))
	// Output:
	// 1.35
	// 1
}

func ExampleProxy_AddFault() {
	p, err := awsproxy.New("http://127.0.0.1:5000") // moto_server
	if err != nil {
		panic(err)
	}
	defer p.Close()
	// Throttle half of the IAM calls, and drop the first CreateFargateProfile.
	p.AddFault(awsproxy.Fault{Service: "iam", Rate: 0.5, Kind: awsproxy.Throttle})
	remove := p.AddFault(awsproxy.Fault{Service: "eks", Operation: "CreateFargateProfile", Kind: awsproxy.Drop, Times: 1})
	defer remove()
	fmt.Println(p.Total())
	// Output: 0
}
