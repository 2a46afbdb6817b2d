package core

// #include "protocol.h"
import "C"

// The protocol's constants come from protocol.h, the one place they are
// defined (with each op's operands); init.c includes the same header.

// Message types on the sync socket.
const (
	msgConfig   uint32 = C.MSG_CONFIG
	msgReady    uint32 = C.MSG_READY
	msgContinue uint32 = C.MSG_CONTINUE
	msgError    uint32 = C.MSG_ERROR
	msgConsole  uint32 = C.MSG_CONSOLE
	msgPid      uint32 = C.MSG_PID
)

// Step operations.
const (
	opMount      uint32 = C.OP_MOUNT
	opHostname   uint32 = C.OP_HOSTNAME
	opSync       uint32 = C.OP_SYNC
	opExec       uint32 = C.OP_EXEC
	opChdir      uint32 = C.OP_CHDIR
	opPivot      uint32 = C.OP_PIVOT
	opMknod      uint32 = C.OP_MKNOD
	opSymlink    uint32 = C.OP_SYMLINK
	opMkdir      uint32 = C.OP_MKDIR
	opConsole    uint32 = C.OP_CONSOLE
	opWriteFile  uint32 = C.OP_WRITEFILE
	opJoinCgroup uint32 = C.OP_JOINCGROUP
	opUnshare    uint32 = C.OP_UNSHARE
	opSetsid     uint32 = C.OP_SETSID
	opKeyring    uint32 = C.OP_KEYRING
	opBounding   uint32 = C.OP_BOUNDING
	opUser       uint32 = C.OP_USER
	opCapset     uint32 = C.OP_CAPSET
	opNoNewPrivs uint32 = C.OP_NONEWPRIVS
	opSeccomp    uint32 = C.OP_SECCOMP
	opSetattr    uint32 = C.OP_SETATTR
	opSetns      uint32 = C.OP_SETNS
	opFork       uint32 = C.OP_FORK
	opDumpable   uint32 = C.OP_DUMPABLE
	opRlimit     uint32 = C.OP_RLIMIT
	opUmask      uint32 = C.OP_UMASK
	opCapsets    uint32 = C.OP_CAPSETS
	opNspath     uint32 = C.OP_NSPATH
	opFifo       uint32 = C.OP_FIFO
	opPark       uint32 = C.OP_PARK
	opTouch      uint32 = C.OP_TOUCH
	opReset      uint32 = C.OP_RESET
	opLinkup     uint32 = C.OP_LINKUP
	opMoveMount  uint32 = C.OP_MOVEMOUNT
	opAwait      uint32 = C.OP_AWAIT

	syncLater uint64 = C.SYNC_LATER // opSync's flag: the wait is opAwait's

	opMask     uint32 = C.OP_MASK
	opOptional uint32 = C.OP_OPTIONAL // a missing path (ENOENT) is not a failure
)

// Messages to the guard.
const (
	guardMsgRegister = C.GUARD_REGISTER
	guardMsgAttach   = C.GUARD_ATTACH
	guardMsgForget   = C.GUARD_FORGET
	guardMsgMax      = C.GUARD_MSG_MAX
)

// The monitor's messages and the files it writes in a state directory.
const (
	monConfig    = C.MON_CONFIG
	monPid       = C.MON_PID
	monError     = C.MON_ERROR
	monConsole   = C.MON_CONSOLE
	monStarted   = C.MON_STARTED
	monMsgMax    = C.MON_MSG_MAX
	monitorFdEnv = C.MONITORFD_ENV
	// LogFile, OldLogFile and ExitFile are the names of the monitor's
	// files in a detached container's state directory.
	LogFile    = C.MON_LOG
	OldLogFile = C.MON_LOG_OLD
	ExitFile   = C.MON_EXIT
)

// Limits of the step list, and the variables naming inherited descriptors.
const (
	maxConfig   = C.CONFIG_MAX
	chunkSize   = C.CHUNK_MAX
	initFdEnv   = C.INITFD_ENV
	guardFdEnv  = C.GUARDFD_ENV
	syncMsgSize = 12 // {u32 type, u32 arg, i32 errno}
)
