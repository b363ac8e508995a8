// Test fixture, not part of docker-machine: gob streams as Go writes and reads them, for
// the cross-checks of docker-machine's gob codec (crates/libmachine/tests/integration/gob_go.rs).
//
//	gobvectors encode   write a fixed sequence of values (the plugin protocol's shapes)
//	gobvectors decode   read the values the Rust test encodes, print each with %#v
package main

import (
	"encoding/gob"
	"fmt"
	"os"
)

type StringFlag struct {
	Name, Usage, EnvVar, Value string
}
type IntFlag struct {
	Name, Usage, EnvVar string
	Value               int
}
type StringSliceFlag struct {
	Name, Usage, EnvVar string
	Value               []string
}
type BoolFlag struct{ Name, Usage, EnvVar string }

type Flag interface{}

type RPCFlags struct{ Values map[string]interface{} }
type DriverOptions interface{}

type Request struct {
	ServiceMethod string
	Seq           uint64
}
type Response struct {
	ServiceMethod string
	Seq           uint64
	Error         string
}
type State int

func init() {
	gob.RegisterName("*rpcdriver.RPCFlags", new(RPCFlags))
	gob.RegisterName("*mcnflag.IntFlag", new(IntFlag))
	gob.RegisterName("*mcnflag.StringFlag", new(StringFlag))
	gob.RegisterName("*mcnflag.StringSliceFlag", new(StringSliceFlag))
	gob.RegisterName("*mcnflag.BoolFlag", new(BoolFlag))
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	switch os.Args[1] {
	case "encode":
		enc := gob.NewEncoder(os.Stdout)
		must(enc.Encode(Response{ServiceMethod: "RPCServerDriver.GetCreateFlags", Seq: 300}))
		must(enc.Encode([]Flag{
			StringFlag{Name: "fake-ip", Usage: "IP address", EnvVar: "FAKE_IP", Value: "127.0.0.1"},
			IntFlag{Name: "fake-port", Value: -3},
			StringSliceFlag{Name: "fake-tag", Value: []string{"a", "b"}},
			BoolFlag{Name: "fake-b", EnvVar: "FAKE_B"},
			IntFlag{Name: "fake-cpus", Value: 1 << 40},
		}))
		must(enc.Encode(Response{ServiceMethod: "RPCServerDriver.Create", Seq: 2, Error: "quota exceeded"}))
		must(enc.Encode(State(4)))
		must(enc.Encode([]byte(`{"IPAddress":"1.2.3.4"}`)))
		var opts DriverOptions = RPCFlags{Values: map[string]interface{}{"s": "x", "i": 42, "b": true, "l": []string{"p", "q"}}}
		must(enc.Encode(&opts))
		must(enc.Encode(2.5))
		must(enc.Encode(map[string]int{"a": 1}))
		must(enc.Encode(struct{}{}))
	case "decode":
		dec := gob.NewDecoder(os.Stdin)
		var req Request
		must(dec.Decode(&req))
		fmt.Printf("%#v\n", req)
		var opts DriverOptions
		must(dec.Decode(&opts))
		fmt.Printf("%T %#v\n", opts, opts.(*RPCFlags).Values)
		var raw []byte
		must(dec.Decode(&raw))
		fmt.Printf("%s\n", raw)
		var empty struct{}
		must(dec.Decode(&empty))
		var n int
		must(dec.Decode(&n))
		fmt.Printf("%d\n", n)
		var flags []Flag
		must(dec.Decode(&flags))
		for _, f := range flags {
			fmt.Printf("%T %+v\n", f, f)
		}
	}
}
