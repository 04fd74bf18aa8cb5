// Package nsthread runs code on an OS thread that may move to another
// network namespace, and brings the thread back after: how package lab
// runs code inside a host, and how rawsock's tests make and use a
// namespace of their own. Only Linux has network namespaces.
package nsthread
