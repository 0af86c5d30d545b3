package main

// One line per step, `step: ok key=value …` or `step: FAILED why`, as
// tests/clients/py/steps.py prints them; tests/clients/transcript.py parses them.

import (
	"fmt"
	"strings"
)

// field is one key=value of a step's result; a slice keeps them in the order they print.
type field struct {
	key   string
	value any
}

type result []field

func (r *result) add(key string, value any) { *r = append(*r, field{key, value}) }

type steps struct {
	failed int
	done   map[string]result
}

func newSteps() *steps { return &steps{done: map[string]result{}} }

// step runs one step; one that returns an error (or panics) is printed as FAILED and the run
// goes on, so one refusal does not hide what the next steps would have shown.
func (s *steps) step(name string, action func(out *result) error) {
	var out result
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return action(&out)
	}()
	if err != nil {
		s.failed++
		fmt.Printf("%s: FAILED %T: %s\n", name, err, oneLine(err.Error()))
		return
	}
	s.done[name] = out
	fmt.Printf("%s: %s\n", name, render(out))
}

// value is a result of an earlier step; a step that needs a failed one fails saying so.
func (s *steps) value(step, key string) (any, error) {
	for _, f := range s.done[step] {
		if f.key == key {
			return f.value, nil
		}
	}
	return nil, fmt.Errorf("needs %s from step %s, which did not succeed", key, step)
}

func (s *steps) intValue(step, key string) (int, error) {
	v, err := s.value(step, key)
	if err != nil {
		return 0, err
	}
	return v.(int), nil
}

func render(out result) string {
	parts := []string{"ok"}
	var message *field
	for i := range out {
		if out[i].key == "message" {
			message = &out[i]
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%v", out[i].key, out[i].value))
	}
	if message != nil {
		parts = append(parts, "message="+oneLine(fmt.Sprint(message.value)))
	}
	return strings.Join(parts, " ")
}

func oneLine(text string) string { return strings.Join(strings.Fields(text), " ") }
