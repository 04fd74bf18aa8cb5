package main

import (
	"errors"
	"io/fs"
	"os"
)

// outFile is a file a command writes what it saw into: --pcap, --trace=FILE
// and --diagram. It is opened when the command line is read, so that a name
// that cannot be written is refused before anything runs; but an existing
// file is emptied only by the first write, or by finish. So a command
// refused before it ran (abandon) leaves an existing file as it was, and no
// new file behind.
type outFile struct {
	*os.File
	created bool  // the open made the file
	begun   bool  // the file was emptied for this run's output
	err     error // the emptying's error, for every write after it
}

// openOutFile opens name for writing, making it (mode 0644 before the
// umask) if it does not exist.
func openOutFile(name string) (*outFile, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		return &outFile{File: f, created: true}, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	if f, err = os.OpenFile(name, os.O_WRONLY, 0); err != nil {
		return nil, err
	}
	return &outFile{File: f}, nil
}

// begin empties the file once, before its first byte is written. A pipe or
// a terminal (--pcap /dev/stdout) is written as it is.
func (f *outFile) begin() error {
	if f.begun {
		return f.err
	}
	f.begun = true
	if fi, err := f.Stat(); err != nil {
		f.err = err
	} else if fi.Mode().IsRegular() {
		f.err = f.Truncate(0)
	}
	return f.err
}

// Write writes p, having emptied the file first.
func (f *outFile) Write(p []byte) (int, error) {
	if err := f.begin(); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

// finish closes the file of a command that ran: emptied even when it
// got nothing to write.
func (f *outFile) finish() error {
	return errors.Join(f.begin(), f.Close())
}

// abandon closes the file of a command that did not run (a writer may
// have closed it already): one the open made is removed, an existing one
// is left as it was (unless written).
func (f *outFile) abandon() error {
	err := f.Close()
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	if f.created && !f.begun {
		err = errors.Join(err, os.Remove(f.Name()))
	}
	return err
}
