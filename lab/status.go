package lab

// Removed is what Down removed.
type Removed struct {
	Name  string   `json:"name"`
	Netns []string `json:"netns"`
	// Killed are the processes that were running in the namespaces.
	Killed []int `json:"killed,omitempty"`
	// State is true when the lab's state file was removed.
	State bool `json:"state_file"`
	// Leftover says why the lab was incomplete, if it was (a killed
	// builder, a namespace removed by hand).
	Leftover string `json:"leftover,omitempty"`
}

// Empty reports whether Down found nothing of the lab.
func (r Removed) Empty() bool { return len(r.Netns) == 0 && !r.State }

// Status is what is here of one lab.
type Status struct {
	Name string `json:"name"`
	// Lab is the lab's state file; nil when it has none.
	Lab *Lab `json:"lab,omitempty"`
	// Netns are the lab's namespaces that exist; Missing, those its
	// state file lists that do not.
	Netns   []string `json:"netns"`
	Missing []string `json:"missing,omitempty"`
	// Problem says why the lab is not whole, "" when it is.
	Problem string `json:"problem,omitempty"`
	// Dropped is how many packets the loss rule has dropped, when it has
	// one (HaveDropped).
	Dropped     uint64 `json:"dropped,omitempty"`
	HaveDropped bool   `json:"-"`
}
