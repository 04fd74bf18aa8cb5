package main

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// Numbers on the command line are read and checked by socklab, in its own
// words: kong's mappers for the number types are replaced (numberMappers),
// and a flag's range is in its tags, min:"1" and max:"255" (checkRanges),
// checked when the flag is given, so a default of 0 may mean "not set".

// usageError is a command line socklab refuses: exit status 2, as for the
// errors kong finds.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// usagef returns a usageError formatted as fmt.Errorf does.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// numberMappers reads ints, unsigned counts, floats and durations.
func numberMappers() []kong.Option {
	return []kong.Option{
		kong.TypeMapper(reflect.TypeOf(0), numberMapper(parseWhole)),
		kong.TypeMapper(reflect.TypeOf(uint64(0)), numberMapper(parseCount)),
		kong.TypeMapper(reflect.TypeOf(0.0), numberMapper(parseReal)),
		kong.TypeMapper(reflect.TypeOf(time.Duration(0)), numberMapper(parseDuration)),
	}
}

// numberMapper decodes one flag value with parse, which returns the value
// or the reason it is not one.
func numberMapper(parse func(string) (any, error)) kong.MapperFunc {
	return func(ctx *kong.DecodeContext, target reflect.Value) error {
		t, err := ctx.Scan.PopValue("value")
		if err != nil {
			return errors.New("wants a value")
		}
		s := fmt.Sprint(t.Value)
		v, err := parse(s)
		if err != nil {
			return fmt.Errorf("%q %w", s, err)
		}
		target.Set(reflect.ValueOf(v).Convert(target.Type()))
		return nil
	}
}

func parseWhole(s string) (any, error) {
	n, err := strconv.ParseInt(s, 10, 0)
	if err != nil {
		return nil, errors.New("is not a whole number")
	}
	return int(n), nil
}

func parseCount(s string) (any, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, errors.New("is not a count (a whole number, 0 or more)")
	}
	return n, nil
}

func parseReal(s string) (any, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, errors.New("is not a number")
	}
	return f, nil
}

func parseDuration(s string) (any, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, errors.New("is not a duration (e.g. 2s, 500ms, 1m30s)")
	}
	return d, nil
}

// checkRanges checks every flag given on the command line against its
// min and max tags. A min of ">0" wants a value above zero; a want tag
// words what is wanted instead of the bounds.
func checkRanges(kctx *kong.Context) error {
	for _, p := range kctx.Path {
		if p.Flag == nil {
			continue
		}
		tag := p.Flag.Tag
		lo, hi := tag.Get("min"), tag.Get("max")
		if lo == "" && hi == "" {
			continue
		}
		v, ok := numberOf(p.Flag.Target)
		if !ok {
			continue
		}
		if err := inRange(v, lo, hi); err != nil {
			if want := tag.Get("want"); want != "" {
				err = errors.New("want " + want)
			}
			return usagef("%s %s: %v", flagName(p.Flag), formatValue(p.Flag.Target), err)
		}
	}
	return nil
}

// inRange checks v against the bounds lo and hi ("" for none).
func inRange(v float64, lo, hi string) error {
	above := strings.HasPrefix(lo, ">")
	min, _ := strconv.ParseFloat(strings.TrimPrefix(lo, ">"), 64)
	max, _ := strconv.ParseFloat(hi, 64)
	switch {
	case above && v <= min:
		return fmt.Errorf("want more than %s", strings.TrimPrefix(lo, ">"))
	case lo != "" && !above && v < min && hi != "":
		return fmt.Errorf("want %s to %s", lo, hi)
	case lo != "" && !above && v < min:
		return fmt.Errorf("want %s or more", lo)
	case hi != "" && v > max && lo != "":
		return fmt.Errorf("want %s to %s", strings.TrimPrefix(lo, ">"), hi)
	case hi != "" && v > max:
		return fmt.Errorf("want at most %s", hi)
	}
	return nil
}

// numberOf reads a flag's value as a number: durations in seconds.
func numberOf(v reflect.Value) (float64, bool) {
	switch x := v.Interface().(type) {
	case time.Duration:
		return x.Seconds(), true
	case benchSeconds:
		return time.Duration(x).Seconds(), true
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return float64(v.Int()), true
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return float64(v.Uint()), true
	case reflect.Float64, reflect.Float32:
		return v.Float(), true
	}
	return 0, false
}

func formatValue(v reflect.Value) string {
	if s, ok := v.Interface().(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v.Interface())
}

// flagName is a flag's long name, "--timeout".
func flagName(f *kong.Flag) string { return "--" + f.Name }

// flagSpelling is a flag as a user may type it: "-s/--size", "--timeout".
func flagSpelling(f *kong.Flag) string {
	if f.Short != 0 {
		return "-" + string(f.Short) + "/--" + f.Name
	}
	return "--" + f.Name
}
