"""The extension module: low-level processors for a fixed sample rate and
channel count over flat float32 buffers (use the classes of ``lanedsp``)."""

from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

GAIN_LIMIT_DB: float
MAX_CHANNELS: int
MAX_LINK: int

def isa() -> str: ...
def available_isas() -> List[str]: ...
def isa_selection() -> str: ...
def preset(mode: str) -> Dict[str, Any]: ...

class Envelope:
    def __init__(
        self, sample_rate: float, channels: int, attack_s: float, release_s: float, isa: Optional[str] = None
    ) -> None: ...
    def process(
        self,
        input: Optional[npt.NDArray[np.float32]],
        output: npt.NDArray[np.float32],
        interleaved: bool,
    ) -> None: ...
    def set_times(self, attack_s: float, release_s: float) -> None: ...
    def reset(self) -> None: ...
    def envelope(self) -> List[float]: ...
    @property
    def channels(self) -> int: ...
    @property
    def isa(self) -> str: ...
    @property
    def last_execution(self) -> str: ...

class Dynamics:
    def __init__(
        self,
        sample_rate: float,
        channels: int,
        settings: Dict[str, Any],
        groups: List[List[int]],
        link_amount: float = 1.0,
        link_mode: str = "max",
        isa: Optional[str] = None,
    ) -> None: ...
    def process(
        self,
        input: Optional[npt.NDArray[np.float32]],
        output: npt.NDArray[np.float32],
        interleaved: bool,
        key: Optional[Tuple[npt.NDArray[np.float32], bool]] = None,
    ) -> None: ...
    def set_settings(self, settings: Dict[str, Any]) -> None: ...
    def reset(self) -> None: ...
    def gain_reduction_db(self) -> List[float]: ...
    @property
    def channels(self) -> int: ...
    @property
    def isa(self) -> str: ...
    @property
    def last_execution(self) -> str: ...

MAX_LOOKAHEAD_MS: float

class Limit:
    def __init__(
        self,
        sample_rate: float,
        channels: int,
        ceiling_db: float,
        lookahead_s: float,
        release_s: float,
        true_peak: bool,
        input_gain_db: float,
        groups: List[List[int]],
        link_amount: float = 1.0,
        isa: Optional[str] = None,
    ) -> None: ...
    def process(
        self,
        input: Optional[npt.NDArray[np.float32]],
        output: npt.NDArray[np.float32],
        interleaved: bool,
    ) -> None: ...
    def flush(self, output: npt.NDArray[np.float32], interleaved: bool) -> None: ...
    def set_settings(
        self,
        ceiling_db: float,
        lookahead_s: float,
        release_s: float,
        true_peak: bool,
        input_gain_db: float,
        link_amount: float = 1.0,
    ) -> None: ...
    def reset(self) -> None: ...
    def gain(self) -> List[float]: ...
    @property
    def latency(self) -> int: ...
    @property
    def channels(self) -> int: ...
    @property
    def isa(self) -> str: ...
