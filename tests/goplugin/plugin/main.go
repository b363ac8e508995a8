// Test fixture, not part of docker-machine: a third-party driver plugin built the way
// libmachine's plugin server works (net/rpc over HTTP, gob), from Go's standard library
// alone. It serves the same service names, method set and gob type names as libmachine's
// RPCServerDriver, so docker-machine cannot tell it from a real plugin.
//
// Its "machine" is whatever SSH server its flags name (the tests use a local sshd); its
// running/stopped state is part of its config, as a cloud driver's instance state would
// be on the provider's side.
//
// The driver name it is started as (MACHINE_PLUGIN_DRIVER_NAME) selects a misbehaviour
// for the failure tests:
//
//	fake          behaves
//	fakecrash     exits before printing its address
//	fakegarbage   prints garbage instead of its address
//	fakeversion   speaks API version 99
//	fakehang      never answers GetState
//	fakedie       exits in the middle of GetState
//	fakeslow      takes 12 s to Kill (only heartbeats keep it alive meanwhile)
//
// Every call is appended to $FAKE_PLUGIN_LOG ("PID Method"), so tests can check what
// was called and that no plugin process outlives docker-machine.
package main

import (
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/rpc"
	"os"
	"path/filepath"
	"time"
)

// The flag types, registered under libmachine's names ("*mcnflag.StringFlag"...).
type StringFlag struct {
	Name   string
	Usage  string
	EnvVar string
	Value  string
}
type StringSliceFlag struct {
	Name   string
	Usage  string
	EnvVar string
	Value  []string
}
type IntFlag struct {
	Name   string
	Usage  string
	EnvVar string
	Value  int
}
type BoolFlag struct {
	Name   string
	Usage  string
	EnvVar string
}

// Flag is libmachine's mcnflag.Flag.
type Flag interface{ String() string }

func (f StringFlag) String() string      { return f.Name }
func (f StringSliceFlag) String() string { return f.Name }
func (f IntFlag) String() string         { return f.Name }
func (f BoolFlag) String() string        { return f.Name }

// DriverOptions is libmachine's drivers.DriverOptions; RPCFlags its RPC form.
type DriverOptions interface {
	String(key string) string
	StringSlice(key string) []string
	Int(key string) int
	Bool(key string) bool
}

type RPCFlags struct{ Values map[string]interface{} }

func (r RPCFlags) String(k string) string        { s, _ := r.Values[k].(string); return s }
func (r RPCFlags) StringSlice(k string) []string { s, _ := r.Values[k].([]string); return s }
func (r RPCFlags) Int(k string) int              { i, _ := r.Values[k].(int); return i }
func (r RPCFlags) Bool(k string) bool            { b, _ := r.Values[k].(bool); return b }

func init() {
	gob.RegisterName("*rpcdriver.RPCFlags", new(RPCFlags))
	gob.RegisterName("*mcnflag.IntFlag", new(IntFlag))
	gob.RegisterName("*mcnflag.StringFlag", new(StringFlag))
	gob.RegisterName("*mcnflag.StringSliceFlag", new(StringSliceFlag))
	gob.RegisterName("*mcnflag.BoolFlag", new(BoolFlag))
}

// State is libmachine's state.State.
type State int

const (
	None State = iota
	Running
	Paused
	Saved
	Stopped
)

// Driver is the plugin's driver; its JSON is the machine's "Driver" object in config.json.
type Driver struct {
	IPAddress      string
	MachineName    string
	SSHUser        string
	SSHPort        int
	SSHKeyPath     string
	StorePath      string
	SwarmMaster    bool
	SwarmHost      string
	SwarmDiscovery string
	DockerPort     int
	Tags           []string
	InstallURL     string
	Running        bool
	URL            string `json:",omitempty"`
}

// ciTest: the variant named ci-test, like 0.16.2's third-party test driver: it only
// records a URL (as the none driver does) and gives no SSH address.
func ciTest() bool { return driverName == "ci-test" }

var driverName = os.Getenv("MACHINE_PLUGIN_DRIVER_NAME")

func record(method string) {
	if path := os.Getenv("FAKE_PLUGIN_LOG"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d %s\n", os.Getpid(), method)
			f.Close()
		}
	}
}

// RPCServerDriver serves the driver as libmachine's server does.
type RPCServerDriver struct {
	d           *Driver
	closeCh     chan bool
	heartbeatCh chan bool
}

func (r *RPCServerDriver) Close(_, _ *struct{}) error { record("Close"); r.closeCh <- true; return nil }
func (r *RPCServerDriver) Heartbeat(_, _ *struct{}) error {
	record("Heartbeat")
	r.heartbeatCh <- true
	return nil
}

func (r *RPCServerDriver) GetVersion(_ *struct{}, reply *int) error {
	record("GetVersion")
	*reply = 1
	if driverName == "fakeversion" {
		*reply = 99
	}
	return nil
}

func (r *RPCServerDriver) GetConfigRaw(_ *struct{}, reply *[]byte) error {
	record("GetConfigRaw")
	data, err := json.Marshal(r.d)
	*reply = data
	return err
}

func (r *RPCServerDriver) SetConfigRaw(data []byte, _ *struct{}) error {
	record("SetConfigRaw")
	return json.Unmarshal(data, r.d)
}

func (r *RPCServerDriver) GetCreateFlags(_ *struct{}, reply *[]Flag) error {
	record("GetCreateFlags")
	if ciTest() {
		*reply = []Flag{StringFlag{Name: "url", Usage: "URL of host when no driver is selected"}}
		return nil
	}
	*reply = []Flag{
		StringFlag{Name: "fake-ip-address", Usage: "address of the fake machine", EnvVar: "FAKE_IP_ADDRESS", Value: "127.0.0.1"},
		IntFlag{Name: "fake-ssh-port", Usage: "SSH port of the fake machine", EnvVar: "FAKE_SSH_PORT", Value: 22},
		StringFlag{Name: "fake-ssh-user", Usage: "SSH user", EnvVar: "FAKE_SSH_USER", Value: "root"},
		StringFlag{Name: "fake-ssh-key", Usage: "SSH private key to copy into the machine directory", EnvVar: "FAKE_SSH_KEY"},
		IntFlag{Name: "fake-docker-port", Usage: "Docker port", Value: 2376},
		StringSliceFlag{Name: "fake-tag", Usage: "tags", EnvVar: "FAKE_TAGS", Value: []string{}},
		BoolFlag{Name: "fake-fail-precreate", Usage: "fail the pre-create check", EnvVar: "FAKE_FAIL_PRECREATE"},
	}
	return nil
}

func (r *RPCServerDriver) SetConfigFromFlags(flags *DriverOptions, _ *struct{}) error {
	record("SetConfigFromFlags")
	f := *flags
	if ciTest() {
		r.d.URL = f.String("url")
		return nil
	}
	if f.Bool("fake-fail-precreate") {
		r.d.Tags = []string{"fail-precreate"}
	} else {
		r.d.Tags = f.StringSlice("fake-tag")
	}
	r.d.IPAddress = f.String("fake-ip-address")
	r.d.SSHPort = f.Int("fake-ssh-port")
	r.d.SSHUser = f.String("fake-ssh-user")
	r.d.DockerPort = f.Int("fake-docker-port")
	// Shared create flags travel too, as libmachine sent them.
	r.d.InstallURL = f.String("engine-install-url")
	if key := f.String("fake-ssh-key"); key != "" {
		r.d.SSHKeyPath = key
	}
	if r.d.IPAddress == "" {
		return errors.New("--fake-ip-address is required")
	}
	return nil
}

func (r *RPCServerDriver) PreCreateCheck(_, _ *struct{}) error {
	record("PreCreateCheck")
	if len(r.d.Tags) > 0 && r.d.Tags[0] == "fail-precreate" {
		return errors.New("the fake cloud refuses: quota exceeded")
	}
	return nil
}

func (r *RPCServerDriver) Create(_, _ *struct{}) error {
	record("Create")
	if ciTest() {
		r.d.Running = true
		return nil
	}
	fmt.Println("Creating fake machine...")
	fmt.Fprintln(os.Stderr, "creating with key", r.d.SSHKeyPath)
	if r.d.SSHKeyPath != "" {
		data, err := os.ReadFile(r.d.SSHKeyPath)
		if err != nil {
			return err
		}
		dst := filepath.Join(r.d.StorePath, "machines", r.d.MachineName, "id_rsa")
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			return err
		}
		r.d.SSHKeyPath = dst
	}
	r.d.Running = true
	return nil
}

func (r *RPCServerDriver) DriverName(_ *struct{}, reply *string) error {
	record("DriverName")
	*reply = driverName
	return nil
}
func (r *RPCServerDriver) GetIP(_ *struct{}, reply *string) error {
	record("GetIP")
	*reply = r.d.IPAddress
	return nil
}
func (r *RPCServerDriver) GetMachineName(_ *struct{}, reply *string) error {
	record("GetMachineName")
	*reply = r.d.MachineName
	return nil
}
func (r *RPCServerDriver) GetSSHHostname(_ *struct{}, reply *string) error {
	record("GetSSHHostname")
	*reply = r.d.IPAddress
	if ciTest() {
		*reply = ""
	}
	return nil
}
func (r *RPCServerDriver) GetSSHKeyPath(_ *struct{}, reply *string) error {
	record("GetSSHKeyPath")
	*reply = r.d.SSHKeyPath
	return nil
}
func (r *RPCServerDriver) GetSSHPort(_ *struct{}, reply *int) error {
	record("GetSSHPort")
	*reply = r.d.SSHPort
	return nil
}
func (r *RPCServerDriver) GetSSHUsername(_ *struct{}, reply *string) error {
	record("GetSSHUsername")
	*reply = r.d.SSHUser
	return nil
}
func (r *RPCServerDriver) GetURL(_ *struct{}, reply *string) error {
	record("GetURL")
	if !r.d.Running {
		return errors.New("Host is not running")
	}
	if ciTest() {
		*reply = r.d.URL
		return nil
	}
	*reply = fmt.Sprintf("tcp://%s", net.JoinHostPort(r.d.IPAddress, fmt.Sprint(r.d.DockerPort)))
	return nil
}
func (r *RPCServerDriver) GetState(_ *struct{}, reply *State) error {
	record("GetState")
	switch driverName {
	case "fakehang":
		time.Sleep(time.Hour)
	case "fakedie":
		os.Exit(3)
	}
	*reply = Stopped
	if r.d.Running {
		*reply = Running
	}
	return nil
}
func (r *RPCServerDriver) Kill(_, _ *struct{}) error {
	record("Kill")
	if driverName == "fakeslow" {
		// Longer than the 10 s this server waits for a heartbeat.
		time.Sleep(12 * time.Second)
	}
	r.d.Running = false
	return nil
}
func (r *RPCServerDriver) Remove(_, _ *struct{}) error {
	record("Remove")
	fmt.Println("Deleting fake machine...")
	return nil
}
func (r *RPCServerDriver) Restart(_, _ *struct{}) error {
	record("Restart")
	r.d.Running = true
	return nil
}
func (r *RPCServerDriver) Start(_, _ *struct{}) error {
	record("Start")
	r.d.Running = true
	return nil
}
func (r *RPCServerDriver) Stop(_, _ *struct{}) error { record("Stop"); r.d.Running = false; return nil }

func main() {
	if os.Getenv("MACHINE_PLUGIN_TOKEN") != "42" {
		fmt.Fprintln(os.Stderr, "This is a Docker Machine plugin binary.")
		os.Exit(1)
	}
	record("start")
	switch driverName {
	case "fakecrash":
		fmt.Fprintln(os.Stderr, "panic: cannot reach the fake cloud")
		os.Exit(2)
	case "fakegarbage":
		fmt.Println("Welcome to the fake cloud CLI v2!")
		time.Sleep(time.Minute)
		os.Exit(1)
	}
	rpcd := &RPCServerDriver{d: &Driver{}, closeCh: make(chan bool), heartbeatCh: make(chan bool)}
	rpc.RegisterName("RpcServerDriver", rpcd)
	rpc.RegisterName("RPCServerDriver", rpcd)
	rpc.HandleHTTP()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error loading RPC server: %s\n", err)
		os.Exit(1)
	}
	defer listener.Close()
	fmt.Println(listener.Addr())
	go http.Serve(listener, nil)
	for {
		select {
		case <-rpcd.closeCh:
			os.Exit(0)
		case <-rpcd.heartbeatCh:
			continue
		case <-time.After(10 * time.Second):
			record("heartbeat timeout")
			os.Exit(1)
		}
	}
}
