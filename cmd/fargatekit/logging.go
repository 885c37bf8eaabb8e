package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/fargatekit/fargatekit/audit"
)

// logFlags are the root's logging flags, shared by every command.
type logFlags struct {
	format  string
	verbose bool
}

// register adds --log-format and -v/--verbose to the root's persistent
// flags.
func (l *logFlags) register(root *cobra.Command) {
	fs := root.PersistentFlags()
	fs.StringVar(&l.format, "log-format", "text", "log format on standard error: text (human-readable lines) or json (one JSON object a line)")
	fs.BoolVarP(&l.verbose, "verbose", "v", false, "log debug messages too (never credentials, tokens or presigned URLs)")
}

// checkLogFlags validates --log-format of a command.
func checkLogFlags(cmd *cobra.Command) error {
	f := cmd.Flags().Lookup("log-format")
	if f == nil {
		return nil
	}
	switch f.Value.String() {
	case "text", "json":
		return nil
	}
	return &exitError{code: 2, err: fmt.Errorf("--log-format %q: want text or json", f.Value.String())}
}

// commandLogger is the logger of a command: on its standard error, in the
// root's --log-format, at debug level with --verbose, warnings and errors
// only with quiet. Text lines are coloured only on a terminal without
// NO_COLOR.
func commandLogger(cmd *cobra.Command, quiet bool) *zap.Logger {
	format, verbose := "text", false
	if f := cmd.Flags().Lookup("log-format"); f != nil {
		format = f.Value.String()
	}
	if f := cmd.Flags().Lookup("verbose"); f != nil {
		verbose = f.Value.String() == "true"
	}
	return newLogger(cmd.ErrOrStderr(), format, verbose, quiet)
}

// newLogger logs to w in format ("text" or "json").
func newLogger(w io.Writer, format string, verbose, quiet bool) *zap.Logger {
	level := zapcore.InfoLevel
	switch {
	case verbose:
		level = zapcore.DebugLevel
	case quiet:
		level = zapcore.WarnLevel
	}
	var enc zapcore.Encoder
	if format == "json" {
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
	} else {
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05")
		cfg.EncodeLevel = zapcore.CapitalLevelEncoder
		if audit.AutoColor(w) {
			cfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
		}
		cfg.EncodeCaller = nil
		cfg.CallerKey = ""
		enc = zapcore.NewConsoleEncoder(cfg)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), level))
}

// jsonLogs reports whether the command logs as JSON (--log-format json).
func jsonLogs(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("log-format")
	return f != nil && f.Value.String() == "json"
}

// stderrLine writes a line for people on standard error; under
// --log-format json it is a JSON log line of the same text instead, so
// that standard error stays one JSON object a line. A warning reads
// "warning: …" in text.
func stderrLine(cmd *cobra.Command, warn bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if jsonLogs(cmd) {
		log := commandLogger(cmd, false)
		if warn {
			log.Warn(strings.TrimSpace(msg))
		} else {
			log.Info(strings.TrimSpace(msg))
		}
		_ = log.Sync()
		return
	}
	if warn {
		msg = "warning: " + msg
	}
	fmt.Fprintln(cmd.ErrOrStderr(), msg)
}
